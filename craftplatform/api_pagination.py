"""Page-number pagination with a documented contract.

`page` is a whole number from 1 to MAX_PAGE: anything else (0, -1, "x", 1e99) is a 400 with the
field named; a page after the last one is an empty page (200, `results: []`), never a 404, so a
client looping "until results are empty" just stops.
"""

from django.core.paginator import EmptyPage
from django.core.paginator import Paginator as DjangoPaginator
from rest_framework.pagination import PageNumberPagination

from craftplatform.api_errors import ApiError

MAX_PAGE = 2_147_483_647


class _EmptyPage(list):
    """Stands in for a page after the last: no rows, and the paginator's numbers for the links."""

    def __init__(self, paginator, number):
        super().__init__()
        self.paginator = paginator
        self.number = number

    def has_next(self):
        return False

    def has_previous(self):
        return self.paginator.count > 0

    def previous_page_number(self):
        return self.paginator.num_pages


class ApiPagination(PageNumberPagination):
    django_paginator_class = DjangoPaginator

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        raw = request.query_params.get(self.page_query_param, "1")
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= MAX_PAGE:
            raise ApiError(
                f"page must be a whole number from 1 to {MAX_PAGE}.",
                code="invalid",
                errors={"page": [f"A whole number from 1 to {MAX_PAGE}."]},
            )
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            self.page = paginator.page(number)
        except EmptyPage:
            # After the last page: nothing, without an OFFSET the database would have to skip.
            self.page = _EmptyPage(paginator, number)
            return []
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": f"Page number, 1 to {MAX_PAGE} ({self.page_size or 'the default'} items a page). "
                "Anything else is a 400; a page after the last one is empty.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            }
        ]
