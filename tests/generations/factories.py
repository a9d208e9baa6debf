"""Generations test data. Rows a business rule creates (a generation with its hold) come from the
services in the tests themselves; these build plain rows for pages and selectors."""

import io

import factory
from django.core.files.base import ContentFile
from PIL import Image

from generations.models import Asset, AssetKind, Collection, CollectionItem, Generation, GenerationStatus
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
