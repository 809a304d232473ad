from lending.core import roles
from lending.core.navigation import staff_nav_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_staff_member": False, "is_borrower": False, "staff_nav": []}
    return {
        "is_staff_member": roles.is_staff_member(user),
        "is_borrower": roles.is_borrower(user),
        "staff_nav": staff_nav_for(user),
        "user_role_labels": [roles.ROLE_LABELS[r] for r in roles.ALL_ROLES if r in roles.user_roles(user)],
    }
