from services.house.app import SPEC
from services.kernel.operations.serve import serve

serve(SPEC)
