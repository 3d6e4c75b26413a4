/**
 * Inputs generated from a JSON Schema: text, number, checkbox, select for enums, nested fieldsets for
 * objects, add/remove lists for arrays, and a JSON box for anything else. Each input shows the server's
 * validation error for its path (`errors` is keyed by dotted path inside the parameters object).
 */
import { useState } from "react";
import { resolve, typeOf, type JsonSchema } from "./schema.js";

interface FieldProps {
  schema: JsonSchema;
  root: JsonSchema;
  value: unknown;
  onChange: (value: unknown) => void;
  path: string[];
  name: string;
  required: boolean;
  errors: ReadonlyMap<string, string>;
}

export function SchemaForm({
  schema,
  value,
  onChange,
  errors,
}: {
  schema: JsonSchema;
  value: unknown;
  onChange: (value: unknown) => void;
  errors: ReadonlyMap<string, string>;
}) {
  const { schema: s } = resolve(schema, schema);
  if (!s.properties || Object.keys(s.properties).length === 0) return <p className="muted">This flow takes no parameters.</p>;
  return <ObjectFields schema={s} root={schema} value={value} onChange={onChange} path={[]} errors={errors} />;
}

function ObjectFields({ schema, root, value, onChange, path, errors }: Omit<FieldProps, "name" | "required">) {
  const object = (value && typeof value === "object" && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  return (
    <div className="fields">
      {Object.entries(schema.properties ?? {}).map(([name, prop]) => (
        <Field
          key={name}
          schema={prop}
          root={root}
          name={name}
          path={[...path, name]}
          required={(schema.required ?? []).includes(name)}
          value={object[name]}
          errors={errors}
          onChange={(v) => {
            const next = { ...object };
            if (v === undefined) delete next[name];
            else next[name] = v;
            onChange(next);
          }}
        />
      ))}
    </div>
  );
}

function Field(props: FieldProps) {
  const { root, value, onChange, path, name, required, errors } = props;
  const { schema, nullable } = resolve(props.schema, root);
  const id = `param-${path.join("-")}`;
  const error = errors.get(path.join("."));
  const kind = schema.enum ? "enum" : typeOf(schema);
  const label = (
    <label htmlFor={id} className="field-label">
      {schema.title ?? name}
      {required && (
        <span className="req" title="required">
          *
        </span>
      )}
      <span className="type">
        {kind === "enum" ? "choice" : kind}
        {nullable ? " | null" : ""}
      </span>
    </label>
  );
  const help = schema.description && <div className="help">{schema.description}</div>;
  const err = error && (
    <div className="field-error" role="alert" data-field={`parameters.${path.join(".")}`}>
      {error}
    </div>
  );

  if (kind === "object" && schema.properties)
    return (
      <fieldset className={`field nested${error ? " invalid" : ""}`}>
        <legend>
          {schema.title ?? name}
          {required && <span className="req">*</span>}
        </legend>
        {help}
        {err}
        <ObjectFields schema={schema} root={root} value={value} onChange={onChange} path={path} errors={errors} />
      </fieldset>
    );
  if (kind === "array" && schema.items) {
    const list = Array.isArray(value) ? value : [];
    const items = schema.items;
    return (
      <fieldset className={`field nested${error ? " invalid" : ""}`}>
        <legend>
          {schema.title ?? name}
          {required && <span className="req">*</span>} <span className="type">array</span>
        </legend>
        {help}
        {err}
        {list.map((item, i) => (
          <div key={i} className="array-item">
            <Field
              schema={items}
              root={root}
              name={`${name}[${i}]`}
              path={[...path, String(i)]}
              required
              value={item}
              errors={errors}
              onChange={(v) => onChange(list.map((x, j) => (j === i ? v : x)))}
            />
            <button type="button" className="link" aria-label={`Remove ${name} ${i}`} onClick={() => onChange(list.filter((_, j) => j !== i))}>
              remove
            </button>
          </div>
        ))}
        <button type="button" onClick={() => onChange([...list, resolve(items, root).schema.default ?? emptyOf(resolve(items, root).schema)])}>
          Add {schema.title ?? name} item
        </button>
      </fieldset>
    );
  }
  let input;
  if (kind === "enum") {
    const options = schema.enum ?? [];
    input = (
      <select id={id} value={JSON.stringify(value ?? null)} onChange={(e) => onChange(JSON.parse(e.target.value) as unknown)} aria-invalid={!!error}>
        {(!required || value === undefined) && <option value="null">—</option>}
        {options.map((o) => (
          <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  } else if (kind === "boolean") {
    input = <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} aria-invalid={!!error} />;
  } else if (kind === "number" || kind === "integer") {
    input = (
      <input
        id={id}
        type="number"
        step={kind === "integer" ? 1 : "any"}
        value={typeof value === "number" ? value : ""}
        placeholder={schema.minimum !== undefined || schema.maximum !== undefined ? `${schema.minimum ?? "…"} – ${schema.maximum ?? "…"}` : undefined}
        onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
        aria-invalid={!!error}
      />
    );
  } else if (kind === "string") {
    input = (
      <input
        id={id}
        type="text"
        value={typeof value === "string" ? value : ""}
        placeholder={schema.format ?? undefined}
        onChange={(e) => onChange(e.target.value === "" && !required ? undefined : e.target.value)}
        aria-invalid={!!error}
      />
    );
  } else {
    input = <JsonInput id={id} value={value} onChange={onChange} invalid={!!error} />;
  }
  return (
    <div className={`field${error ? " invalid" : ""}`} data-path={path.join(".")}>
      {label}
      {input}
      {help}
      {err}
    </div>
  );
}

function emptyOf(schema: JsonSchema): unknown {
  switch (typeOf(schema)) {
    case "object":
      return {};
    case "array":
      return [];
    case "string":
      return "";
    case "boolean":
      return false;
    default:
      return undefined;
  }
}

function JsonInput({ id, value, onChange, invalid }: { id: string; value: unknown; onChange: (v: unknown) => void; invalid: boolean }) {
  const [text, setText] = useState(value === undefined ? "" : JSON.stringify(value, null, 2));
  const [bad, setBad] = useState(false);
  return (
    <>
      <textarea
        id={id}
        className="mono"
        rows={3}
        value={text}
        aria-invalid={invalid || bad}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === "") return onChange(undefined);
          try {
            onChange(JSON.parse(e.target.value) as unknown);
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
      {bad && <div className="field-error">not valid JSON</div>}
    </>
  );
}
