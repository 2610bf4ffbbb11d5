"""The security headers of every answer, live and static: the one place that decides them (the live app
sets them on each response, `calfeed init --deploy` writes them into the nginx and Apache files)."""

NOSNIFF = {"X-Content-Type-Options": "nosniff"}

# The security headers of every answer, pages, feeds, exports and assets alike (the deploy kit's
# nginx and Apache files carry the same for the static tree). The site loads nothing from elsewhere and runs only its own files
# (the DSFR's module, calfeed.js); its inline <script> blocks are JSON data, which a browser never runs,
# so no 'unsafe-inline' is needed. No page may be framed, except the embed pages that any site may show.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
                           "form-action 'self'; frame-ancestors {ancestors}")
EMBED_PREFIX = "/feeds/integrer/"  # the embed pages (routes.embed): any site may frame them


def security_headers(path: str) -> dict[str, str]:
    """The security headers for an answer at `path`: the one place that decides them."""
    if path.startswith(EMBED_PREFIX):
        return {"Content-Security-Policy": CONTENT_SECURITY_POLICY.format(ancestors="*"), **NOSNIFF}
    return {"Content-Security-Policy": CONTENT_SECURITY_POLICY.format(ancestors="'none'"),
            "X-Frame-Options": "DENY", **NOSNIFF}


def static_policies() -> dict[str, str]:
    """The policies as the deploy kit's @PLACEHOLDERS@: every page, and the embed pages."""
    return {"CSP": CONTENT_SECURITY_POLICY.format(ancestors="'none'"),
            "CSP_INTEGRER": CONTENT_SECURITY_POLICY.format(ancestors="*")}
