"""Words people search for that a template's own text does not say.

A bakery owner types "bread", a café "coffee": neither appears in "Fresh pasta", yet the
restaurant-and-food templates are theirs. Each industry's words join the template's search
text (so PostgreSQL full-text and trigram search, and the SQLite fallback, all see them).
Plain data: migrations import it to rebuild the stored search text.
"""

# fmt: off
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "restaurant": (
        "food", "drink", "restaurant", "cafe", "café", "coffee", "coffee shop", "bakery", "bread", "baker",
        "pastry", "patisserie", "cake", "pizza", "pizzeria", "burger", "bistro", "bar", "pub", "brunch",
        "breakfast", "lunch", "dinner", "takeaway", "delivery", "catering", "deli", "kitchen", "chef", "menu",
        "sushi", "ice cream", "juice", "tea", "wine", "beer", "cocktail", "food truck", "grocery",
    ),
    "ecommerce": (
        "shop", "online shop", "online store", "store", "retail", "ecommerce", "e-commerce", "sale", "discount",
        "product", "products", "shopify", "webshop", "marketplace", "gift", "boutique",
    ),
    "fashion": (
        "clothes", "clothing", "apparel", "fashion", "dress", "shoes", "sneakers", "jewellery", "jewelry",
        "accessories", "boutique", "streetwear", "style", "outfit",
    ),
    "real_estate": (
        "property", "house", "home", "flat", "apartment", "realtor", "estate agent", "real estate", "realty",
        "rent", "rental", "letting", "mortgage", "listing",
    ),
    "fitness": (
        "gym", "fitness", "workout", "training", "personal trainer", "yoga", "pilates", "crossfit", "sport",
        "running", "boxing", "spin", "studio", "health club",
    ),
    "healthcare": (
        "health", "healthcare", "clinic", "doctor", "dentist", "dental", "medical", "physio", "physiotherapy",
        "pharmacy", "therapy", "therapist", "optician", "vet", "wellbeing",
    ),
    "saas": (
        "software", "saas", "app", "startup", "tech", "technology", "platform", "tool", "b2b", "subscription",
        "cloud", "digital",
    ),
    "beauty": (
        "beauty", "salon", "hair", "hairdresser", "barber", "nails", "spa", "skincare", "cosmetics", "makeup",
        "massage", "wellness", "lashes", "tattoo",
    ),
    "events": (
        "event", "events", "concert", "festival", "party", "wedding", "conference", "tickets", "gig", "show",
        "exhibition", "meetup",
    ),
    "education": (
        "school", "education", "course", "courses", "class", "classes", "tutor", "tutoring", "teacher",
        "lessons", "training", "academy", "university", "learning",
    ),
    "automotive": (
        "car", "cars", "auto", "automotive", "garage", "mechanic", "dealer", "dealership", "vehicle", "tyres",
        "tires", "motorbike", "car wash",
    ),
    "professional_services": (
        "consulting", "consultant", "lawyer", "accountant", "agency", "services", "freelance", "coach",
        "insurance", "finance", "plumber", "cleaning", "builder",
    ),
}
# fmt: on


def industry_words(industry: str) -> str:
    """The extra search words for one industry, space-separated ("" for none)."""
    return " ".join(INDUSTRY_WORDS.get(industry, ()))
