"""How names are put into sentences."""


def possessive(name) -> str:
    """ "Police's", but "Health – GP practices'": a name ending in s takes the apostrophe alone."""
    name = str(name)
    return f"{name}'" if name.rstrip().lower().endswith("s") else f"{name}'s"
