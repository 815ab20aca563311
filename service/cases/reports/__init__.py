"""Commissioner reporting: the quarterly monitoring return (``quarterly``: the figures; ``cohort``: the
quarter's referrals as a table; ``statistics``; ``suppression`` of small numbers; ``vocabulary``) and the
commissioning cycles (``commissioning``). Same imports as ``service.cases``."""
