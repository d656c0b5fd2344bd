"""Every table, imported in one place so Alembic and ``create_all`` see the whole schema."""
from timebank.audit.models import AuditEntry  # noqa: F401
from timebank.auth.models import ApiToken, SignInFailure, SupervisorCenter, User, UserSession  # noqa: F401
from timebank.catalog.models import CatalogItem  # noqa: F401
from timebank.certificates.models import Certificate  # noqa: F401
from timebank.centers.models import Center  # noqa: F401
from timebank.check_ins.models import CheckIn  # noqa: F401
from timebank.drives.models import Drive, DriveCenter, DriveItem, DriveStock, Reservation, ReservationLine  # noqa: F401
from timebank.hours.models import RecordConfirmation, RecordReview, ServiceRecord  # noqa: F401
from timebank.idempotency.models import IdempotencyKey  # noqa: F401
from timebank.jobs.models import JobLock, JobRun  # noqa: F401
from timebank.ledger.models import Account, Lot, LotMovement, Refusal, Transfer  # noqa: F401
from timebank.notices.models import ExpiryNotice, OutboxMessage  # noqa: F401
from timebank.receipts.models import Receipt, ReceiptRevocation, SigningKey  # noqa: F401
from timebank.service_requests.models import RequestClaim, ServiceRequest  # noqa: F401
from timebank.service_types.models import ServiceType  # noqa: F401
from timebank.spreadsheets.pending import PendingImport  # noqa: F401
from timebank.volunteers.models import Volunteer  # noqa: F401
from timebank.supervision.models import (  # noqa: F401
    AnomalyExplanation,
    ReviewDraw,
    ReviewEvaluation,
    ReviewPeriod,
    ReviewResult,
    ReviewSample,
)
