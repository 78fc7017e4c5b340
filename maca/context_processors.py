from maca import access


def navigation(request):
    """What the navigation bar offers: chairs also get the access log."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_is_chair": access.chaired_partnerships(user).exists()}
