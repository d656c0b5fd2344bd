"""Every table, imported in one place so Alembic and ``create_all`` see the whole schema."""
from timebank.audit.models import AuditEntry  # noqa: F401
from timebank.auth.models import ApiToken, SignInFailure, SupervisorCenter, User  # noqa: F401
from timebank.ledger.models import Account, Lot, LotMovement, Refusal, Transfer  # noqa: F401
from timebank.volunteers.models import PendingImport  # noqa: F401
