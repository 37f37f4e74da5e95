from rest_framework.pagination import CursorPagination
from rest_framework.response import Response


class DefaultCursorPagination(CursorPagination):
    """Cursor pagination: stable and O(page) however deep a client pages into large lists."""

    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"


def paginated_response(*, serializer_class, queryset, request, view, pagination_class=None):
    """Paginate a queryset for a plain `APIView` (HackSoft style) and serialize the page.

    The view should also set `pagination_class` (used here when the argument is omitted) so
    that drf-spectacular documents the paginated envelope of `serializer_class(many=True)`.
    """
    pagination_class = pagination_class or getattr(view, "pagination_class", None)
    paginator = (pagination_class or DefaultCursorPagination)()
    page = paginator.paginate_queryset(queryset, request, view=view)
    if page is None:
        return Response(serializer_class(queryset, many=True).data)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
