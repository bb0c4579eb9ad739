"""mkdocs hook (loaded from the generated mkdocs.yml): reports each rendered page to kb.site."""

from kb.site import progress


def on_post_page(output, page, config):  # noqa: ARG001 (mkdocs hook signature)
    progress.report()
    return output
