import { type Finding, type TagEntry, distinctValues, fromTags, textOf } from "./types.js";

/**
 * Text chunks image generators write: AUTOMATIC1111/Forge `parameters`, ComfyUI `prompt` and
 * `workflow`, InvokeAI and NovelAI's own keys.
 */
const GENERATOR_TAGS = new Set(["Parameters", "Prompt", "Workflow", "Invokeai_metadata", "Invokeai_graph", "Sd-metadata", "Dream", "Generation_data"]);
/** ComfyUI's WebP and animated saves put `workflow:{...}` and `prompt:{...}` in EXIF Make, Model... */
const COMFY_EXIF = /^(workflow|prompt):\s*[[{]/;
/** AUTOMATIC1111 writes its parameters into a JPEG's EXIF UserComment. */
const A1111_TEXT = /\bSteps: \d+, Sampler: /;
/**
 * IPTC Digital Source Type values for media made or changed by generative AI
 * (https://cv.iptc.org/newscodes/digitalsourcetype/).
 */
const AI_SOURCE = /(trainedAlgorithmicMedia|compositeSynthetic|algorithmicMedia|compositeWithTrainedAlgorithmicMedia|algorithmicallyEnhanced)/i;

/** `ai`: generation parameters (the prompt says what was asked for, high) and declared AI sources. */
export function aiFindings(entries: readonly TagEntry[]): Finding[] {
  const parameters = entries.filter((t) => {
    const v = textOf(t.value);
    if (v === "") return false;
    return (GENERATOR_TAGS.has(t.tag) && ["PNG", "XMP", "EXIF"].includes(t.group)) || COMFY_EXIF.test(v) || A1111_TEXT.test(v);
  });
  const declared = entries.filter((t) => t.tag === "DigitalSourceType" && AI_SOURCE.test(textOf(t.value)));
  const source = declared.map((t) => textOf(t.value).replace(/^.*\//, "")).join("; ");
  return [
    ...fromTags("ai", "high", "The file carries the parameters of the AI model that generated it (prompt, model, seed).", parameters, distinctValues(parameters)),
    ...fromTags("ai", "medium", "The file declares that it was made or changed by generative AI.", declared, source),
  ];
}

const CLAIM_GENERATOR = /^Claim_generator(_info)?(Name)?$|^ClaimGenerator/i;
const SIGNER = /(Signer|Issuer|Common_?Name|Organization|SignatureInfo|Alg)$/i;

/**
 * `provenance`: a C2PA (Content Credentials) manifest, read from its JUMBF boxes. ExifTool decodes
 * the claim's CBOR (the claim generator, actions, the software agents) but not the signer's
 * certificate, so the signer appears only where the manifest states it in a field of its own.
 */
export function provenanceFindings(entries: readonly TagEntry[]): Finding[] {
  const jumbf = entries.filter((t) => t.group === "JUMBF" || t.group === "CBOR");
  const isC2pa = jumbf.some((t) => /c2pa/i.test(textOf(t.value)) || CLAIM_GENERATOR.test(t.tag));
  if (!isC2pa) return [];
  const generator = jumbf.filter((t) => CLAIM_GENERATOR.test(t.tag));
  const signer = jumbf.filter((t) => SIGNER.test(t.tag));
  const value = [distinctValues(generator), distinctValues(signer)].filter((v) => v !== "").join("; ");
  return fromTags(
    "provenance",
    "medium",
    "The file carries a C2PA Content Credentials manifest: the software that made it and who signed it.",
    [...generator, ...signer, ...jumbf.filter((t) => t.tag === "JUMDLabel")],
    value,
  );
}
