"""Generations test data. Rows a business rule creates (a generation with its hold) come from the
services in the tests themselves; these build plain rows for pages and selectors."""

import io

import factory
from django.core.files.base import ContentFile
from PIL import Image

from generations.models import Asset, AssetKind, Collection, CollectionItem, Generation, GenerationStatus
from generations.naming import readable_file_name
from generations.services.assets import thumbnail_bytes
from templates_app.spec import FORMATS
from tests.factories import UserFactory
from tests.templates_app.factories import create_template, make_spec


def png_bytes(size: tuple[int, int] = (64, 48), colour: str = "#3366CC", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format="PNG")
    return out.getvalue()


class GenerationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Generation

    user = factory.SubFactory(UserFactory)
    template = factory.LazyFunction(lambda: create_template(spec=make_spec(formats=("1:1", "9:16"))))
    spec_version = factory.LazyAttribute(lambda o: o.template.spec_version)
    status = GenerationStatus.COMPLETED
    formats = factory.LazyFunction(lambda: ["1:1"])
    customization_data = factory.LazyFunction(lambda: {"texts": {"headline": "Hello"}, "colors": {}, "images": {}})


class AssetFactory(factory.django.DjangoModelFactory):
    """An asset with a real PNG file in storage."""

    class Meta:
        model = Asset

    class Params:
        size = (64, 48)

    user = factory.SubFactory(UserFactory)
    kind = AssetKind.UPLOAD
    mime_type = "image/png"
    file_format = "png"
    original_filename = factory.Sequence(lambda n: f"photo-{n}.png")
    width = factory.LazyAttribute(lambda o: o.size[0])
    height = factory.LazyAttribute(lambda o: o.size[1])
    file = factory.LazyAttribute(lambda o: ContentFile(png_bytes(o.size), name=o.original_filename))
    size_bytes = factory.LazyAttribute(lambda o: o.file.size)


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Collection {n}")


class CollectionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionItem

    collection = factory.SubFactory(CollectionFactory)
    asset = factory.SubFactory(AssetFactory, user=factory.SelfAttribute("..collection.user"))
    position = factory.Sequence(lambda n: n)


# -- the library: finished generations with a real file per format -----------------------------------


def result_asset(*, generation: Generation, format_key: str, colour: str = "#3366CC", **fields) -> Asset:
    """A rendered ad of `generation` in one format: a real PNG at the format's pixel size, with its
    readable file name and a WebP thumbnail, as the generation job stores it."""
    image = Image.new("RGB", FORMATS[format_key].size, colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    name = readable_file_name(
        brand="Acme Bakery",
        label=generation.template.name,
        ext="png",
        format_key=format_key,
        when=generation.created_at,
    )
    asset = Asset(
        user=generation.user,
        generation=generation,
        kind=AssetKind.RESULT,
        format_key=format_key,
        original_filename=name,
        mime_type="image/png",
        file_format="png",
        size_bytes=len(out.getvalue()),
        width=image.width,
        height=image.height,
        **fields,
    )
    asset.file.save(name, ContentFile(out.getvalue()), save=False)
    asset.thumbnail.save(name.rsplit(".", 1)[0] + "_thumb.webp", ContentFile(thumbnail_bytes(image)), save=False)
    asset.save()
    return asset


def completed_generation(*, formats: tuple[str, ...] = ("1:1", "9:16"), **fields) -> Generation:
    """A completed generation with one result asset per format (see `result_asset`)."""
    generation = GenerationFactory(status=GenerationStatus.COMPLETED, formats=list(formats), **fields)
    for key in formats:
        result_asset(generation=generation, format_key=key)
    return generation


def spec_with_backdrop() -> dict:
    """The factory spec with a full-bleed background image slot (what an AI background fills)."""
    spec = make_spec(formats=("1:1",))
    spec["slots"]["backdrop"] = {"type": "image", "label": "Background", "role": "background", "required": False}
    for layout in spec["formats"].values():
        layout["layers"].insert(1, {"type": "image", "slot": "backdrop", "box": [0, 0, 1080, 1080], "fit": "cover"})
    return spec
