/**
 * The `yaml` package, loaded on first use. It renders the OpenAPI document as
 * YAML and positions capability problems by line; a gateway that is asked for
 * neither (a valid capability is read with js-yaml) does not load it at start-up.
 */
import { createRequire } from 'node:module';

type YamlLibrary = typeof import('yaml');

const requireModule = createRequire(import.meta.url);
let library: YamlLibrary | undefined;

/** yamlLibrary is the `yaml` package (its CommonJS build, which Node loads synchronously). */
export function yamlLibrary(): YamlLibrary {
  library ??= requireModule('yaml') as YamlLibrary;
  return library;
}
