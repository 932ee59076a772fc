// Loads an OpenAPI document from a URL and validates it against the
// OpenAPI 3.0 schema with a standard parser; exits 1 with the reason if not.
import SwaggerParser from "@apidevtools/swagger-parser";

const url = process.argv[2];
try {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const api = await SwaggerParser.validate(await res.json());
  const paths = Object.keys(api.paths).length;
  console.log(`valid OpenAPI ${api.openapi}: "${api.info.title}", ${paths} paths`);
} catch (err) {
  console.error(`invalid: ${err.message}`);
  process.exit(1);
}
