"""``python -m services.audit``."""

from services.audit.app import SPEC
from services.kernel.serve import serve

serve(SPEC)
