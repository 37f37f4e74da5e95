from rest_framework.pagination import CursorPagination


class DefaultCursorPagination(CursorPagination):
    """Cursor pagination: stable and O(page) however deep a client pages into large lists."""

    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"
