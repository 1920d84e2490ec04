import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Adds `.openapi()` to zod types (named components, examples). Imported first by
// every module that declares OpenAPI schemas (lib/openapi, the components' *.openapi.ts)
// so the method exists before any schema uses it.
extendZodWithOpenApi(z);

export { z };
