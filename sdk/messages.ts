/**
 * Glance and Keystone error bodies, reduced to one readable line. Glance answers
 * `{"message": "...<br /><br />\n\n\n", "code": "403 Forbidden", "title": "Forbidden"}` (HTML junk
 * included) and Keystone `{"error": {"message": ...}}`; anything else is stripped of tags.
 */
export function responseMessage(body: string): string | undefined {
  if (!body) return undefined;
  let text: string | undefined;
  try {
    const json = JSON.parse(body) as { message?: unknown; title?: unknown; error?: { message?: unknown; title?: unknown } };
    const m = json.message ?? json.error?.message ?? json.title ?? json.error?.title;
    text = typeof m === "string" ? m : undefined;
  } catch {
    text = body;
  }
  if (!text) return undefined;
  const clean = text
    .replace(/<br\s*\/?>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[.:]$/, "");
  return clean.length > 400 ? `${clean.slice(0, 400)}…` : clean || undefined;
}
