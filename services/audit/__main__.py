"""``python -m services.audit``."""

from services.audit.app import SPEC
from services.kernel.operations.serve import serve

serve(SPEC)
