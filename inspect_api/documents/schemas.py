import marshmallow as ma
from marshmallow import validate

from ..messages import Schema
from .list_export import LIST_FORMATS


class ListExportArgsSchema(Schema):
    format = ma.fields.String(load_default="xlsx", validate=validate.OneOf(LIST_FORMATS), metadata={
        "description": "xlsx: the workbook (list and detail sheets); pdf: the attachment as printed; "
                       "docx: the draft Tờ trình with the list attached, for a clerk to edit before "
                       "signing."})
