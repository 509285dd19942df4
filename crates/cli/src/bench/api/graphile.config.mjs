// PostGraphile v5 over the `read` schema, set up for throughput: production mode, no GraphiQL,
// no explain, no watch, partially pre-stringified responses, a pool as large as ours.
// Written into the install directory by `reachspark bench api`; see docs/BENCHMARKS.md.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["read"],
      // As many connections as ours, kept open between runs like sqlx keeps them (node-postgres
      // closes idle ones after 10 s by default), and named so the bench can find their backends.
      poolConfig: {
        max: Number(process.env.PG_POOL_MAX ?? "20"),
        idleTimeoutMillis: 0,
        application_name: "postgraphile",
      },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT),
    graphiql: false,
    watch: false,
    websockets: false,
    outputDataAsString: true,
  },
  grafast: { explain: false },
};

export default preset;
