from bench.bareapp.models import BareRow
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> JsonResponse:
    # The baseline: the whole middleware stack, one INSERT, a small JSON answer. No auth, no
    # validation, no reads.
    row = BareRow.objects.create(
        key=request.headers.get("Idempotency-Key", ""),
        body=request.body.decode(),
        at=timezone.now(),
    )
    return JsonResponse({"id": row.pk}, status=201)
