from services.ingest.app import SPEC
from services.kernel.serve import serve

serve(SPEC)
