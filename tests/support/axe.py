"""axe-core in the browser tests: every state a person meets has no serious or
critical accessibility violation (WCAG 2.1 AA rules), Shadow DOM included.

    from tests.support.axe import assert_accessible
    await assert_accessible(page, "widget ringing")

axe-core (``vendor/axe.min.js``, see the README there) is evaluated into the page
through the DevTools protocol, which the page's Content-Security-Policy does not
govern, so no policy needs loosening and a page under ours can be checked as it
is served. ``axe.run`` walks open shadow roots, so the widget's Shadow DOM is
checked with its host page.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = ("serious", "critical")


# Waits for the page's finite animations (in the document and in every open shadow
# root) to end: halfway through a fade, text is measured against its own fading
# background and contrast "fails" for a moment no person would notice.
SETTLED = """async () => {
  const roots = [document];
  for (let i = 0; i < roots.length; i++) {
    for (const el of roots[i].querySelectorAll("*")) if (el.shadowRoot) roots.push(el.shadowRoot);
  }
  const running = roots.flatMap((root) => root.getAnimations())
    .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity);
  await Promise.all(running.map((a) => a.finished.catch(() => null)));
}"""


@cache
def axe_source() -> str:
    return AXE_JS.read_text()


async def axe_violations(page, *, include: str | None = None) -> list[dict[str, Any]]:
    """axe's violations in ``page`` (or within the CSS selector ``include``), each
    ``{id, impact, help, nodes: [{target, summary}]}``."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    await page.evaluate(SETTLED)
    return await page.evaluate(
        """async ([include, tags]) => {
          const context = include ? { include: [include] } : document;
          const result = await window.axe.run(context, {
            runOnly: { type: "tag", values: tags },
            resultTypes: ["violations"],
          });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
          }));
        }""",
        [include, TAGS],
    )


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']} ({v['help']})")
        for node in v["nodes"]:
            lines.append(f"    {node['target']}: {' '.join((node['summary'] or '').split())}")
    return "\n".join(lines)


async def assert_accessible(page, state: str, *, include: str | None = None) -> None:
    """No serious or critical axe violation in ``page`` as it is now (``state`` names
    it in the failure message)."""
    found = [v for v in await axe_violations(page, include=include) if v["impact"] in FAILING]
    assert found == [], f"axe, {state}:\n{describe(found)}"
