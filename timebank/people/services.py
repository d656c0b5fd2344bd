"""The people use cases, in one import: centers, volunteers, users, service types and the volunteer CSV import.

Every function takes keyword arguments, owns its transaction and writes its audit entry in that transaction.
The API, the pages, the CLI and the demo all call these and nothing below them. Each noun lives in its own module
(``centers``, ``volunteers``, ``users``, ``service_types``, ``csv_import``); this module is the public face.
"""
from timebank.people.centers import (  # noqa: F401
    CenterView, create_center, get_center, list_centers, set_center_active, update_center,
)
from timebank.people.csv_import import ImportReport, LineError, import_volunteers  # noqa: F401
from timebank.people.errors import AlreadyExists, LastAdmin  # noqa: F401
from timebank.paging import Page  # noqa: F401
from timebank.people.service_types import (  # noqa: F401
    ServiceTypeView, create_service_type, get_service_type, list_service_types, update_service_type,
)
from timebank.people.users import (  # noqa: F401
    UserView, create_user, ensure_first_admin, get_user, list_users, reset_password, set_own_language, set_user_active,
    update_user,
)
from timebank.people.volunteers import (  # noqa: F401
    VolunteerView, create_volunteer, get_volunteer, list_volunteers, set_volunteer_active, update_volunteer,
)
