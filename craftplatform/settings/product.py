"""Settings of the product's own areas: credits, generations and the job runner, AI providers, Stripe.

Imported by base.py; every value comes from the environment with a default for the embedded mode.
"""

from .env import env

# ---------------------------------------------------------------------------
# Product settings
# ---------------------------------------------------------------------------
PRODUCT_NAME = "CraftAds"
CREDITS_SIGNUP_BONUS = env.int("CREDITS_SIGNUP_BONUS", default=20)
# A hold nobody settles is released by the sweep after this long.
CREDITS_HOLD_TTL_SECONDS = env.int("CREDITS_HOLD_TTL_SECONDS", default=2 * 60 * 60)
# Daily free credits as each plan sets them (the free plan: 3). False gives none, whatever the plans say.
CREDITS_DAILY_ALLOWANCE = env.bool("CREDITS_DAILY_ALLOWANCE", default=True)
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="support@craftads.local")

# Generations. A job holds its lease this long; the sweep re-queues (or, after the last attempt,
# fails) a job whose lease ran out, releasing its hold.
GENERATION_TIME_LIMIT_SECONDS = env.int("GENERATION_TIME_LIMIT_SECONDS", default=10 * 60)
GENERATION_MAX_ATTEMPTS = env.int("GENERATION_MAX_ATTEMPTS", default=3)
GENERATION_MAX_VARIATIONS = env.int("GENERATION_MAX_VARIATIONS", default=4)
# --- Job runner (craftplatform.jobs; issue 10, jobs area) -------------------------------------
# Attempts before a job fails (a kind may name its own setting), its lease, the retry backoff
# (exponential with full jitter, capped), how long a queued job may wait for a worker before it
# fails (keep it under CREDITS_HOLD_TTL_SECONDS), when an unclaimed message is sent again, and how
# far past the lease a running job's holds are kept.
JOBS_MAX_ATTEMPTS = env.int("JOBS_MAX_ATTEMPTS", default=3)
JOBS_LEASE_SECONDS = env.int("JOBS_LEASE_SECONDS", default=10 * 60)
JOBS_BACKOFF_BASE_SECONDS = env.float("JOBS_BACKOFF_BASE_SECONDS", default=10.0)
JOBS_BACKOFF_MAX_SECONDS = env.float("JOBS_BACKOFF_MAX_SECONDS", default=300.0)
JOBS_QUEUE_TIMEOUT_SECONDS = env.int("JOBS_QUEUE_TIMEOUT_SECONDS", default=90 * 60)
JOBS_RESEND_AFTER_SECONDS = env.int("JOBS_RESEND_AFTER_SECONDS", default=20 * 60)
JOBS_HOLD_GRACE_SECONDS = env.int("JOBS_HOLD_GRACE_SECONDS", default=30 * 60)
# --- end job runner ---------------------------------------------------------------------------
# Free-plan files are removed after this many days; paid plans' files are kept (seed 004).
GENERATION_FREE_RETENTION_DAYS = env.int("GENERATION_FREE_RETENTION_DAYS", default=30)

# AI providers (each also switched on in the admin). See README "AI providers".
# OpenAI, or any server speaking its API (LocalAI, vLLM, Ollama, LM Studio): images and copy.
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="https://api.openai.com/v1")
OPENAI_IMAGE_MODEL = env("OPENAI_IMAGE_MODEL", default="gpt-image-1")
# The sizes the image model accepts: the closest in shape is asked for, then cropped to the format.
OPENAI_IMAGE_SIZES = env.list("OPENAI_IMAGE_SIZES", default=["1024x1024", "1536x1024", "1024x1536"])
OPENAI_IMAGE_QUALITY = env("OPENAI_IMAGE_QUALITY", default="")  # blank: the model's default
OPENAI_CHAT_MODEL = env("OPENAI_CHAT_MODEL", default="gpt-4o-mini")
# A Stable Diffusion web UI (AUTOMATIC1111 or Forge) started with --api: images, upscaling and,
# with its rembg extension, background removal.
AUTOMATIC1111_URL = env("AUTOMATIC1111_URL", default="")
AUTOMATIC1111_API_AUTH = env("AUTOMATIC1111_API_AUTH", default="")  # user:password, as given to --api-auth
AUTOMATIC1111_MODEL = env("AUTOMATIC1111_MODEL", default="")  # checkpoint; blank: the one loaded
AUTOMATIC1111_SAMPLER = env("AUTOMATIC1111_SAMPLER", default="DPM++ 2M")
AUTOMATIC1111_STEPS = env.int("AUTOMATIC1111_STEPS", default=25)
AUTOMATIC1111_MAX_SIDE = env.int("AUTOMATIC1111_MAX_SIDE", default=1024)
AUTOMATIC1111_UPSCALER = env("AUTOMATIC1111_UPSCALER", default="R-ESRGAN 4x+")
AUTOMATIC1111_REMBG_MODEL = env("AUTOMATIC1111_REMBG_MODEL", default="")  # e.g. u2net; blank: off
# Every provider request: seconds to wait for the answer, largest answer and image accepted.
AI_PROVIDER_TIMEOUT_SECONDS = env.float("AI_PROVIDER_TIMEOUT_SECONDS", default=120.0)
AI_PROVIDER_MAX_RESPONSE_BYTES = env.int("AI_PROVIDER_MAX_RESPONSE_BYTES", default=64 * 1024 * 1024)
AI_PROVIDER_MAX_IMAGE_PIXELS = env.int("AI_PROVIDER_MAX_IMAGE_PIXELS", default=64_000_000)

# Stripe: buying credits and plans is switched on by the secret key. Without it the
# packs and plans pages say buying is off and staff can still grant credits.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# Only for pointing the SDK at a local Stripe fake (tests, demos); empty means Stripe itself.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=20)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
