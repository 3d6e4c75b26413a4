/** Routes of secrets: values are encrypted before they reach the database and never listed. */
import type { FastifyInstance } from "fastify";
import { secretOperations } from "../../api/secrets.js";
import type { ServerContext } from "../context.js";
import { registerRoute } from "../http/route.js";
import { notFound } from "../database/rows.js";

export function secretRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db, secretBox } = ctx;
  registerRoute(app, secretOperations.setSecret, async ({ params, body }) => db.secrets.put(params.name, secretBox.encrypt(params.name, body.value)));
  registerRoute(app, secretOperations.getSecret, async ({ params }) => {
    const stored = await db.secrets.ciphertext(params.name);
    if (stored === undefined) throw notFound("secret", params.name, "name");
    return { name: params.name, value: secretBox.decrypt(params.name, stored) };
  });
  registerRoute(app, secretOperations.listSecrets, async ({ query }) => db.secrets.list(query));
  registerRoute(app, secretOperations.deleteSecret, async ({ params }) => {
    if (!(await db.secrets.delete(params.name))) throw notFound("secret", params.name, "name");
  });
}
