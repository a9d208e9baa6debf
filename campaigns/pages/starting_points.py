"""The shipped starting points: whole pages made of the same components users build with."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StartingPoint:
    key: str
    name: str
    description: str
    components: tuple[tuple[str, dict], ...]


def _faq(*pairs):
    return {"heading": "Questions", "items": [{"question": q, "answer": a} for q, a in pairs]}


STARTING_POINTS: dict[str, StartingPoint] = {
    point.key: point
    for point in [
        StartingPoint(
            "lead_capture",
            "Lead capture",
            "A headline, three reasons and a short form: collect names and emails from an ad.",
            (
                ("header", {"brand_name": "", "show_logo": True}),
                (
                    "hero",
                    {
                        "headline": "Get your free guide today",
                        "subheadline": "Everything you need to get started, in one short read.",
                        "cta_label": "Get the guide",
                        "cta_url": "#form",
                    },
                ),
                (
                    "features",
                    {
                        "heading": "What you get",
                        "items": [
                            {"title": "Practical", "text": "Steps you can use the same day."},
                            {"title": "Short", "text": "Ten minutes from start to finish."},
                            {"title": "Free", "text": "No card, no catch."},
                        ],
                    },
                ),
                (
                    "lead_form",
                    {
                        "heading": "Where should we send it?",
                        "fields": ["name", "email"],
                        "required": ["email"],
                        "submit_label": "Send me the guide",
                    },
                ),
                ("footer", {"text": "You can unsubscribe at any time."}),
            ),
        ),
        StartingPoint(
            "offer",
            "Offer",
            "A limited-time offer with prices, a countdown and a claim form.",
            (
                ("header", {"brand_name": "", "show_logo": True, "cta_label": "Claim offer", "cta_url": "#form"}),
                (
                    "hero",
                    {
                        "headline": "20% off this week only",
                        "subheadline": "Our best prices of the season, while they last.",
                        "cta_label": "Claim the offer",
                        "cta_url": "#form",
                        "align": "center",
                    },
                ),
                (
                    "pricing",
                    {
                        "heading": "Choose your plan",
                        "items": [
                            {"name": "Starter", "price": "$19", "text": "For getting started."},
                            {"name": "Plus", "price": "$39", "text": "For growing teams."},
                        ],
                        "offer_note": "Prices shown include the discount.",
                        "cta_label": "Claim the offer",
                        "cta_url": "#form",
                    },
                ),
                (
                    "testimonials",
                    {
                        "heading": "Customers say",
                        "items": [{"quote": "Worth every penny.", "author": "Sam", "role": "Customer"}],
                    },
                ),
                (
                    "lead_form",
                    {
                        "heading": "Claim your discount",
                        "fields": ["name", "email"],
                        "required": ["email"],
                        "submit_label": "Claim",
                    },
                ),
                ("footer", {"text": "Offer ends when the countdown does."}),
            ),
        ),
        StartingPoint(
            "event_signup",
            "Event sign-up",
            "Date, agenda, FAQ and a registration form.",
            (
                ("header", {"brand_name": "", "show_logo": True}),
                (
                    "hero",
                    {
                        "headline": "Join us live",
                        "subheadline": "An hour of ideas, questions and answers.",
                        "cta_label": "Save my seat",
                        "cta_url": "#form",
                    },
                ),
                (
                    "text_image",
                    {
                        "heading": "What we will cover",
                        "body": "Where the market is going, what works now, and your questions answered live.",
                    },
                ),
                (
                    "faq",
                    _faq(
                        ("Is it free?", "Yes, registration is free."),
                        ("Will there be a recording?", "Everyone who registers gets the recording."),
                    ),
                ),
                (
                    "lead_form",
                    {
                        "heading": "Register",
                        "fields": ["name", "email", "phone"],
                        "required": ["name", "email"],
                        "submit_label": "Register",
                    },
                ),
                ("footer", {"text": ""}),
            ),
        ),
        StartingPoint(
            "app_download",
            "App download",
            "Features and a download button for an app.",
            (
                ("header", {"brand_name": "", "show_logo": True}),
                (
                    "hero",
                    {
                        "headline": "Your day, organised",
                        "subheadline": "The app that keeps everything in one place.",
                        "cta_label": "Download the app",
                        "cta_url": "https://example.com/app",
                        "align": "center",
                    },
                ),
                (
                    "features",
                    {
                        "heading": "Why people love it",
                        "items": [
                            {"title": "Fast", "text": "Opens in a blink."},
                            {"title": "Private", "text": "Your data stays yours."},
                            {"title": "Everywhere", "text": "Phone, tablet and computer."},
                        ],
                    },
                ),
                ("cta", {"heading": "Ready?", "label": "Download the app", "url": "https://example.com/app"}),
                ("footer", {"text": ""}),
            ),
        ),
        StartingPoint(
            "local_business",
            "Local business",
            "Who you are, what people say, and a contact form for a shop or service nearby.",
            (
                (
                    "header",
                    {"brand_name": "", "show_logo": True, "cta_label": "Call us", "cta_url": "tel:+10000000000"},
                ),
                (
                    "hero",
                    {
                        "headline": "Your neighbourhood favourite",
                        "subheadline": "Friendly service, fair prices, open six days a week.",
                        "cta_label": "Book a visit",
                        "cta_url": "#form",
                    },
                ),
                (
                    "testimonials",
                    {
                        "heading": "Neighbours say",
                        "items": [
                            {"quote": "Always a warm welcome.", "author": "Alex", "role": "Regular"},
                            {"quote": "Quick and careful work.", "author": "Jo", "role": "Customer"},
                        ],
                    },
                ),
                (
                    "faq",
                    _faq(
                        ("Where are you?", "In the centre of town, next to the market."),
                        ("Do I need to book?", "Walk-ins are welcome; booking saves you a wait."),
                    ),
                ),
                (
                    "lead_form",
                    {
                        "heading": "Book a visit",
                        "fields": ["name", "phone", "message"],
                        "required": ["name", "phone"],
                        "submit_label": "Request a booking",
                    },
                ),
                ("footer", {"text": ""}),
            ),
        ),
    ]
}
