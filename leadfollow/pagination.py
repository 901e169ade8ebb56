"""Cursor pagination for every list endpoint: stable under inserts, opaque to clients."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "limit"
    ordering = "-id"

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception as exc:  # DRF raises NotFound; a bad cursor is the client's input error
            raise ValidationError(
                {"cursor": ["This cursor is not valid. Use the `next` link of a response."]}
            ) from exc
