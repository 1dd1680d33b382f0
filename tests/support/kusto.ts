// Parses and analyses Kusto (KQL) queries with Microsoft's own parser, @kusto/language-service-next (the
// Kusto.Language library compiled to JavaScript; it is what the Azure portal's query editor uses), against
// the Application Insights tables the queries read. Analysis, not only syntax: a misspelt column, table or
// function is an error too.
//
// The package is a Bridge.NET bundle that defines a global `Kusto` once its runtime (bridge.js) is loaded.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type ColumnType = 'datetime' | 'string' | 'int' | 'long' | 'real' | 'dynamic';
export type TableSchema = Record<string, Record<string, ColumnType>>;

/** Application Insights (classic, resource-centric) tables and the columns the queries may use. */
export const APPLICATION_INSIGHTS: TableSchema = {
  traces: {
    timestamp: 'datetime',
    message: 'string',
    severityLevel: 'int',
    itemType: 'string',
    customDimensions: 'dynamic',
    customMeasurements: 'dynamic',
    operation_Name: 'string',
    operation_Id: 'string',
    cloud_RoleName: 'string',
    cloud_RoleInstance: 'string',
    itemCount: 'int',
  },
  customMetrics: {
    timestamp: 'datetime',
    name: 'string',
    value: 'real',
    valueCount: 'int',
    valueSum: 'real',
    valueMin: 'real',
    valueMax: 'real',
    valueStdDev: 'real',
    customDimensions: 'dynamic',
    cloud_RoleName: 'string',
    cloud_RoleInstance: 'string',
  },
  requests: {
    timestamp: 'datetime',
    id: 'string',
    name: 'string',
    url: 'string',
    success: 'string',
    resultCode: 'string',
    duration: 'real',
    customDimensions: 'dynamic',
    operation_Name: 'string',
    operation_Id: 'string',
    cloud_RoleName: 'string',
    itemCount: 'int',
  },
};

let language: any;

function kusto(): any {
  if (!language) {
    require('@kusto/language-service-next/bridge.js');
    require('@kusto/language-service-next/Kusto.Language.Bridge.js');
    language = (globalThis as any).Kusto.Language;
  }
  return language;
}

const globalsBySchema = new WeakMap<TableSchema, any>();

function globalsFor(schema: TableSchema): any {
  let globals = globalsBySchema.get(schema);
  if (!globals) {
    const { Symbols, GlobalState } = kusto();
    const types: Record<ColumnType, unknown> = {
      datetime: Symbols.ScalarTypes.DateTime,
      string: Symbols.ScalarTypes.String,
      int: Symbols.ScalarTypes.Int,
      long: Symbols.ScalarTypes.Long,
      real: Symbols.ScalarTypes.Real,
      dynamic: Symbols.ScalarTypes.Dynamic,
    };
    const tables = Object.entries(schema).map(
      ([table, columns]) =>
        new Symbols.TableSymbol.$ctor4(
          table,
          Object.entries(columns).map(([column, type]) => new Symbols.ColumnSymbol(column, types[type])),
        ),
    );
    globals = GlobalState.Default.WithDatabase(new Symbols.DatabaseSymbol.ctor('appinsights', tables));
    globalsBySchema.set(schema, globals);
  }
  return globals;
}

/** The error diagnostics of `query` ("line:column message"), empty when it parses and analyses cleanly. */
export function kqlErrors(query: string, schema: TableSchema = APPLICATION_INSIGHTS): string[] {
  const code = kusto().KustoCode.ParseAndAnalyze(query, globalsFor(schema));
  const diagnostics = code.GetDiagnostics();
  const errors: string[] = [];
  for (let i = 0; i < diagnostics.Count; i++) {
    const diagnostic = diagnostics.getItem(i);
    if (String(diagnostic.Severity) !== 'Error') continue;
    const before = query.slice(0, diagnostic.Start).split('\n');
    errors.push(`${before.length}:${before.at(-1)!.length + 1} ${diagnostic.Message}`);
  }
  return errors;
}
