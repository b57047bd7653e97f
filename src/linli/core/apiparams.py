"""A request body that is JSON, or multipart with files beside it.

django-ninja reads a schema argument from a JSON body, and switches it to
multipart (the JSON in a form field named after the argument) as soon as the
handler also takes `File[...]`, which would break JSON clients. `JsonOrMultipart`
keeps both: an `application/json` request is read as before; a
`multipart/form-data` one carries the same JSON in the field named after the
argument (`payload`) and the files in their own fields.

    def visit_create(request, payload: JsonOrMultipart[VisitIn],
                     photos: File[list[UploadedFile]] = None): ...

    curl -F 'payload={"household_id": 12}' -F photos=@a.jpg -F photos=@b.jpg ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

from django.http import HttpRequest
from ninja.params.models import BodyModel, Param

if TYPE_CHECKING:
    from ninja import NinjaAPI


class _JsonText:
    """Just enough of a request for ninja's JSON parser: the form field's text."""

    def __init__(self, text: str) -> None:
        self.body = text.encode()
        self.content_type = "application/json"
        self.encoding = "utf-8"


class _JsonOrMultipartModel(BodyModel):
    @classmethod
    def get_request_data(
        cls, request: HttpRequest, api: NinjaAPI, path_params: dict[str, Any]
    ) -> dict[str, Any] | None:
        if request.content_type == "multipart/form-data":
            name = getattr(cls, "__read_from_single_attr__", None)
            text = request.POST.get(name) if name else None
            if text is None:
                return None  # the schema's own "field required" answer
            # The JSON parser reads only body, content_type and encoding.
            as_json = cast(HttpRequest, _JsonText(text))
            return super().get_request_data(as_json, api, path_params)
        return super().get_request_data(request, api, path_params)


# pydantic marks FieldInfo final; ninja's Param subclasses it all the same (and says so).
class _JsonOrMultipartParam(Param):  # type: ignore[misc]
    _model = _JsonOrMultipartModel

    @classmethod
    def _param_source(cls) -> str:
        return "body"


class _Shortcut:
    def __getitem__(self, schema: Any) -> Any:
        return Annotated[schema, _JsonOrMultipartParam(...)]


if TYPE_CHECKING:  # pragma: no cover
    T = TypeVar("T")
    JsonOrMultipart = Annotated[T, _JsonOrMultipartParam(...)]
else:
    JsonOrMultipart = _Shortcut()
