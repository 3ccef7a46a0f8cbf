// Example questions on the welcome page: asked of the server, which draws them from the
// documents in its index, so they fit whatever was indexed. None are shown if it has none.

import { getJSON } from "./api.js";
import { $, el } from "./util.js";

/** Show the server's example questions; ask(question) when one is clicked. */
export async function loadExamples(ask) {
  const box = $("examples");
  let questions = [];
  try {
    questions = (await getJSON("/api/examples")).questions || [];
  } catch (_) { /* the status dot says the server is unreachable; the page works without them */ }
  box.replaceChildren();
  for (const question of questions) {
    const button = el("button", "example", question);
    button.type = "button";
    button.addEventListener("click", () => ask(question));
    box.append(button);
  }
  box.hidden = questions.length === 0;
}
