from maca import access


def navigation(request):
    """What the navigation bar offers: the plan for those who read it, the access log for chairs."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_is_chair": access.chaired_partnerships(user).exists(),
        "nav_reads_plan": access.reads_plan(user),
    }
