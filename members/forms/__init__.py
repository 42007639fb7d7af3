"""Forms of the data-entry pages.

They parse and tidy what was typed (dates dd/mm/yyyy, spaces, choices limited to the user's
cells) and say, next to each field, what could not be read. The rules of each event kind (ages,
waiting times, who may be expelled, …) belong to ``members.services``: the views call the one
service of the page with ``cleaned_data`` and put its refusals back on these forms.
"""

from .entry import (  # noqa: F401
    DECISION_FIELDSET,
    RECORD_FIELDSET,
    DeathForm,
    EntryForm,
    ExemptForm,
    MemberAdmitForm,
    MemberEditForm,
    MemberRecordForm,
    MemberTransferInForm,
    ReadmitForm,
    RecognizeForm,
    RemoveForm,
    RestoreForm,
    TransferForm,
)
from .fields import (  # noqa: F401
    DECISION_FIELDS,
    EARLIEST_DAY,
    LATEST_DAY,
    CellChoiceField,
    DayField,
    DirectiveChoiceField,
    SpacelessField,
    cells_to_enter,
    cells_to_move_to,
    field_label,
)
from .other import (  # noqa: F401
    CancelEventForm,
    RosterUploadForm,
)
