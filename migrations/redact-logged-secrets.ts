import type { QueryRunner } from "typeorm";
import { relogged } from "../src/scim/http/logged-request";

/**
 * The work of migration RedactLoggedSecrets, the same SQL on both databases (a helper, not itself a
 * migration: it is outside migrations/mysql and migrations/sqlite).
 *
 * Provisioning-log entries written before filters and PATCH paths naming password were redacted
 * (commit c0b8043) can hold a password compared in them, in their path (the query string), their
 * errorDetail (`unquoted value "hunter2"`) or their body (a .search filter, a PatchOp path and the
 * value it sets), until retention drops them: they get the redaction the live code applies. Only
 * entries whose path, errorDetail or body mention "password" (any case: LOWER, since MariaDB's JSON
 * column compares in binary), or whose path has a letter of it percent-encoded (ENCODED_LETTERS), are
 * read, five hundred a statement in primary-key order, without a lock (a consistent read); each one
 * that changes is one UPDATE of its changed columns by primary key.
 *
 * Unlike the migrations before it, this one calls code in src (`relogged`: the SCIM adapter's and the
 * log's own redaction, pure, no database, no configuration). Those copy their SQL because it is tied
 * to the schema of their day; this one's work is the redaction itself, a filter and path parser of
 * some hundreds of lines, and a copy would be a second parser redacting otherwise than the one the
 * entries written now get. Should that redaction change, a database migrating later gets the newer.
 *
 * Resumable: no DDL, so an interrupted run rolls back, and redacting twice changes nothing.
 */
export async function redactLoggedSecrets(queryRunner: QueryRunner, { encodedOnly = false } = {}): Promise<void> {
    const mentions = (column: string) => `LOWER(${column}) LIKE '%password%'`;
    const encoded = ENCODED_LETTERS.map((e) => `INSTR(LOWER(path), '${e}') > 0`);
    // encodedOnly (migration RedactEncodedLoggedSecrets): a database whose RedactLoggedSecrets ran
    // before its prefilter read encoded letters has only those entries left to read.
    const mayMention = `(${(encodedOnly ? encoded : [mentions("path"), mentions("errorDetail"), mentions("requestBody"), ...encoded]).join(" OR ")})`;
    for (let after = ""; ; ) {
        const rows = (await queryRunner.query(
            `SELECT id, path, errorDetail, requestBody FROM provisioning_log_entries WHERE id > ? AND ${mayMention} ORDER BY id LIMIT 500`,
            [after],
        )) as { id: string; path: string; errorDetail: string | null; requestBody: unknown }[];
        if (rows.length === 0) return;
        for (const row of rows) {
            const body = typeof row.requestBody === "string" ? parsed(row.requestBody) : row.requestBody;
            if (body === undefined) continue;
            const changed = Object.entries(relogged({ path: row.path, errorDetail: row.errorDetail, requestBody: body }));
            if (changed.length === 0) continue;
            await queryRunner.query(
                `UPDATE provisioning_log_entries SET ${changed.map(([column]) => `${column} = ?`).join(", ")} WHERE id = ?`,
                [...changed.map(([column, value]) => (column === "requestBody" ? JSON.stringify(value) : value)), row.id],
            );
        }
        after = rows[rows.length - 1].id;
    }
}

/**
 * The percent-encodings of the letters of "password", upper and lower case, as LOWER(path) spells them
 * (hex digits in either case). The SCIM router decodes the query string once before reading the
 * filter, so a client that sent any letter encoded (`pa%73sword`, `%70%61%73%73%77%6F%72%64`) compared
 * a password without the path containing the word: such a path contains at least one of these.
 * Clients encode spaces, quotes and "@", never letters, so few entries have one; the condition is a
 * substring test on the row the scan reads anyway, and only matching rows are sent to be redacted.
 * Not read: a query encoded twice (`%2570assword`) or with `%u0070`, which the router decodes to a
 * name that is not password, so it compared none.
 */
const ENCODED_LETTERS = [..."pasword"].flatMap((letter) => [letter, letter.toUpperCase()].map((c) => `%${c.charCodeAt(0).toString(16)}`));

/** A body's JSON, or undefined when it is not JSON (the entry is then left as it is). */
function parsed(json: string): unknown {
    try {
        return JSON.parse(json);
    } catch {
        return undefined;
    }
}
