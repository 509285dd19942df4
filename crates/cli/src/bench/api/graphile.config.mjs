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
      poolConfig: { max: Number(process.env.PG_POOL_MAX ?? "20") },
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
