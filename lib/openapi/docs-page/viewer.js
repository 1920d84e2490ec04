// A small, dependency-free renderer of the gateway's OpenAPI document, so the
// reference works on machines without internet access (no CDN scripts).
(function () {
  'use strict';
  const content = document.getElementById('content');

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children.flat()) if (child != null) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  // `code` spans of descriptions as <code>, everything else as text (never as HTML).
  function prose(tag, text) {
    return el(
      tag,
      {},
      String(text || '')
        .split('`')
        .map((part, i) => (i % 2 ? el('code', {}, part) : part)),
    );
  }

  function resolve(doc, schema) {
    if (schema && schema.$ref) {
      const name = schema.$ref.split('/').pop();
      return { name, schema: doc.components.schemas[name] };
    }
    return { name: undefined, schema };
  }

  // Renders a JSON Schema as a TypeScript-like sketch, following $refs once per path.
  function sketch(doc, schema, indent, seen) {
    const pad = '  '.repeat(indent);
    const { name, schema: s } = resolve(doc, schema);
    if (!s) return 'unknown';
    if (name && seen.has(name)) return name;
    const nextSeen = name ? new Set([...seen, name]) : seen;
    if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.anyOf || s.oneOf) return (s.anyOf || s.oneOf).map((x) => sketch(doc, x, indent, nextSeen)).join(' | ');
    if (s.allOf) return s.allOf.map((x) => sketch(doc, x, indent, nextSeen)).join(' & ');
    const type = Array.isArray(s.type) ? s.type.join(' | ') : s.type;
    if (type === 'array') return `Array<${sketch(doc, s.items, indent, nextSeen)}>`;
    if (type === 'object' || s.properties) {
      const required = new Set(s.required || []);
      const lines = Object.entries(s.properties || {}).map(([key, value]) => {
        const notes = constraints(value);
        return `${pad}  ${key}${required.has(key) ? '' : '?'}: ${sketch(doc, value, indent + 1, nextSeen)}${notes ? `  // ${notes}` : ''}`;
      });
      return lines.length ? `{\n${lines.join('\n')}\n${pad}}` : '{}';
    }
    return type || 'any';
  }

  function constraints(s) {
    const notes = [];
    if (s.format) notes.push(s.format);
    if (s.minLength !== undefined) notes.push(`min length ${s.minLength}`);
    if (s.maxLength !== undefined) notes.push(`max length ${s.maxLength}`);
    if (s.minimum !== undefined) notes.push(`≥ ${s.minimum}`);
    if (s.maximum !== undefined) notes.push(`≤ ${s.maximum}`);
    if (s.maxItems !== undefined) notes.push(`at most ${s.maxItems} items`);
    if (s.pattern) notes.push(`pattern ${s.pattern}`);
    if (s.default !== undefined) notes.push(`default ${JSON.stringify(s.default)}`);
    if (s.description) notes.push(s.description);
    return notes.join(', ');
  }

  function operation(doc, method, path, op) {
    const body = el('div');
    if (op.description) body.append(prose('p', op.description));
    if (op.parameters && op.parameters.length) {
      body.append(
        el('h4', {}, 'Parameters'),
        el(
          'table',
          {},
          el('tr', {}, el('th', {}, 'name'), el('th', {}, 'in'), el('th', {}, 'schema'), el('th', {}, 'notes')),
          op.parameters.map((p) =>
            el(
              'tr',
              {},
              el('td', { class: 'path' }, p.name + (p.required ? '' : '?')),
              el('td', {}, p.in),
              el('td', {}, sketch(doc, p.schema, 0, new Set())),
              el('td', {}, constraints(p.schema || {})),
            ),
          ),
        ),
      );
    }
    const requestSchema = op.requestBody && op.requestBody.content['application/json'];
    if (requestSchema) body.append(el('h4', {}, 'Request body (application/json)'), el('pre', {}, sketch(doc, requestSchema.schema, 0, new Set())));
    body.append(el('h4', {}, 'Responses'));
    for (const [status, response] of Object.entries(op.responses)) {
      const media = response.content && response.content['application/json'];
      body.append(
        el('p', {}, el('span', { class: 'status' }, status), ' ', prose('span', response.description)),
        // Every error body has the one public shape (described at the top); its codes are in the description.
        media && Number(status) < 400 ? el('pre', {}, sketch(doc, media.schema, 0, new Set())) : null,
      );
    }
    return el(
      'details',
      { class: 'op', id: op.operationId },
      el(
        'summary',
        {},
        el('span', { class: `method ${method}` }, method),
        el('span', { class: 'path' }, path),
        el('span', {}, op.summary || ''),
        op.security ? el('span', { class: 'lock' }, 'needs a bearer token') : null,
      ),
      body,
    );
  }

  function render(doc) {
    document.getElementById('title').textContent = `${doc.info.title} (v${doc.info.version})`;
    content.replaceChildren(prose('p', doc.info.description));
    const tags = (doc.tags || []).map((t) => t.name);
    const byTag = new Map(tags.map((t) => [t, []]));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const tag = (op.tags && op.tags[0]) || 'other';
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push(operation(doc, method, path, op));
      }
    }
    for (const [tag, ops] of byTag) if (ops.length) content.append(el('h2', {}, tag), ...ops);
  }

  fetch('/api/openapi.json')
    .then((res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.json();
    })
    .then(render)
    .catch((err) => content.replaceChildren(el('p', {}, `Could not load the OpenAPI document: ${err.message}`)));
})();
