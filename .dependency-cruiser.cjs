/** The import rules of embedops, checked by test/architecture/import-graph.test.ts and `npm run depcruise`. */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "An import cycle ties modules that should stand one above the other.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-not-to-registries",
      comment: "Only the composition roots (src/bot.ts, src/cli/) know the commands and jobs; everything below is handed them.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(bot\\.ts|cli/)" },
      to: { path: "^(commands|jobs)/" },
    },
    {
      name: "commands-apart",
      comment: "A command imports no other command: what two share lives in src/.",
      severity: "error",
      from: { path: "^commands/", pathNot: "^commands/index\\.ts$" },
      to: { path: "^commands/" },
    },
    {
      name: "presenters-apart-from-data",
      comment: "Presenters and the reply document draw view models; what the database keeps reaches them only through a command.",
      severity: "error",
      from: { path: ["^src/slack/presenters/", "^src/reply/"] },
      to: { path: "^src/data/" },
    },
    {
      name: "data-internals",
      comment: "Models, migrations and the ORM stay behind the data layer's named functions.",
      severity: "error",
      from: { path: "^(src|commands|jobs)/", pathNot: "^src/data/" },
      to: { path: ["^src/data/(models|migrations)/", "^node_modules/(sequelize|umzug|pg|sqlite3)/"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|test|bench|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".json"] },
  },
};
