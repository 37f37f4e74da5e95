"""Query parameters validated by a serializer."""


def query_params(serializer_class, request) -> dict:
    """The validated query parameters. A plain dict is validated: with a QueryDict, DRF would
    read an absent boolean as false."""
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
