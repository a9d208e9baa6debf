"""Attribution from a visit's address: UTM parameters, Meta's click id, and the CraftAds ids an ad's
URL carries (`ca-campaign-<uuid>`, `ca-ad-<uuid>`, `ca-creative-<uuid>` in utm_campaign, utm_content
or utm_term, as the publishing side writes them)."""

import re
from collections.abc import Mapping

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
CRAFTADS_ID = re.compile(
    r"ca-(campaign|ad|creative)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.I
)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean(value, limit: int) -> str:
    return CONTROL.sub("", str(value or ""))[:limit].strip()


def from_params(params: Mapping) -> dict[str, str]:
    found = {key: _clean(params.get(key), 200) for key in UTM_KEYS}
    found["fbclid"] = _clean(params.get("fbclid"), 500)
    refs = {"campaign": "", "ad": "", "creative": ""}
    for key in ("utm_campaign", "utm_content", "utm_term"):
        for kind, value in CRAFTADS_ID.findall(found[key]):
            refs[kind.lower()] = refs[kind.lower()] or value.lower()
    found["campaign_ref"], found["ad_ref"], found["creative_ref"] = refs["campaign"], refs["ad"], refs["creative"]
    return found
