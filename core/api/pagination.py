"""Page-number and cursor pagination with strict page sizes."""

from django.core.paginator import InvalidPage
from rest_framework import exceptions, pagination


class StrictPageSize:
    """`page_size`, when given, must be a whole number of at least 1 (else 400).

    DRF falls back to the default size for anything it cannot read (`0`, `null`, empty),
    so a client's mistake would go unnoticed. Sizes past max_page_size are still capped.
    """

    page_size_message = "Enter a whole number of at least 1."

    def get_page_size(self, request):
        if self.page_size_query_param not in request.query_params:
            return self.page_size
        text = request.query_params[self.page_size_query_param]
        size = int(text) if text.isascii() and text.isdigit() else 0
        if size < 1:
            raise exceptions.ValidationError({self.page_size_query_param: [self.page_size_message]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Results per page: {self.page_size} by default, at most "
                    f"{self.max_page_size} (a larger size is capped)."
                )
        return parameters


class PageNumberPagination(StrictPageSize, pagination.PageNumberPagination):
    """`page` and `page_size` (20 by default, at most 100): {count, next, previous, results}."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_counted(self, queryset, request, *, count: int):
        """The requested page (a Django Page, its rows a lazy slice), the count known already.

        DRF's paginate_queryset, minus its COUNT query and list(): the caller chooses how
        to read the rows (e.g. .values()) from the page's number and size.
        """
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        paginator.count = count  # Paginator.count is a cached_property
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            message = self.invalid_page_message.format(page_number=page_number, message=str(exc))
            raise exceptions.ValidationError({self.page_query_param: [message]}) from exc
        return self.page

    def paginate_queryset(self, queryset, request, view=None):
        """DRF's, except that a page that does not exist is the client's mistake: 400, as
        for any bad parameter (404 is for objects)."""
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({self.page_query_param: [exc.detail]}) from exc


class CursorPagination(StrictPageSize, pagination.CursorPagination):
    """`cursor` pages (sync, infinite scroll): stable while rows are added, no OFFSET.

    The view sets `ordering` per request; its first field must be (nearly) unique and
    never null, as DRF positions the cursor by it.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        """DRF's, except that a cursor this API did not issue is a 400 naming `cursor`."""
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({self.cursor_query_param: [exc.detail]}) from exc
