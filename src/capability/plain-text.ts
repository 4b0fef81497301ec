/**
 * plainText: the one way decorated capability text is shown to people and
 * agents (OpenAPI summaries, MCP descriptions and titles). The capability
 * dialect decorates some descriptions with emoji ("✨ Update organization");
 * they make poor summaries and tool descriptions.
 */

// Emoji anywhere: pictographs shown as emoji by default or by VS16, with their joiners (UTS #51).
// Other symbols (™, ★) only count as decoration at the ends: "Acme™ seats" keeps its mark.
const EMOJI = /(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F)[\uFE0F\u200D]*|[\uFE0F\u200D]/gu;
const EDGE_SYMBOLS = /^[\p{So}\s]+|[\p{So}\s]+$/gu;

/** plainText strips decoration and collapses whitespace; undefined when nothing is left. */
export function plainText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const clean = text.replace(EMOJI, ' ').replace(/\s+/g, ' ').replace(EDGE_SYMBOLS, '');
  return clean === '' ? undefined : clean;
}
