"""Every table, imported in one place so Alembic and ``create_all`` see the whole schema."""
from timebank.audit.models import AuditEntry  # noqa: F401
from timebank.auth.models import ApiToken, SignInFailure, UserSession  # noqa: F401
from timebank.ledger.models import Account, Lot, LotMovement, Refusal, Transfer  # noqa: F401
from timebank.people.models import Center, ServiceType, SupervisorCenter, User, Volunteer  # noqa: F401
