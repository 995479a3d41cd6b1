//! The JSON format of the fixed report, locked: the report's data contract.

use super::*;

#[test]
#[allow(clippy::too_many_lines)] // an inline snapshot is one long literal
fn json_snapshot() {
    insta::assert_snapshot!(text(&fixed_report(), ReportFormat::Json), @r#"
    {
      "toolVersion": "0.1.0",
      "generatedAt": "2026-11-20T12:00:00.000Z",
      "journals": [
        "upload.jsonl"
      ],
      "runs": [
        {
          "runId": "0123456789abcdef",
          "journal": "upload.jsonl",
          "toolVersion": "0.1.0",
          "operator": "alice@provisioner",
          "oktaIdentity": "alice.admin@acme.example (SSWS token)",
          "org": "https://acme.okta.com",
          "input": "seeds.csv",
          "inputSha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
          "options": {
            "concurrency": 4,
            "format": "yubico",
            "last_wins": false,
            "max_attempts": 6,
            "rate": {
              "mode": "fixed",
              "per_minute": 120
            },
            "skip_invalid": true
          },
          "started": "2026-11-20T10:00:00.000Z",
          "ended": "2026-11-20T10:00:09.000Z",
          "resumed": false,
          "interrupted": false,
          "counts": {
            "uploaded": 2,
            "already_present": 1,
            "rejected": 1,
            "failed": 1,
            "invalid": 1,
            "done_before": 0,
            "rate_limited": 2,
            "concurrency_limited": 0,
            "retries": 2,
            "in_doubt_lookups": 1
          },
          "pacePerMinute": 120.0,
          "requests": {
            "start": "2026-11-20T10:00:01.000Z",
            "bucketSecs": 1,
            "counts": [
              2,
              0,
              1,
              1,
              1,
              1,
              0,
              1
            ]
          }
        }
      ],
      "outcomes": {
        "uploaded": 2,
        "alreadyPresent": 1,
        "rejected": 1,
        "failed": 1,
        "invalid": 1,
        "inDoubt": 1
      },
      "changes": {
        "tokensDeleted": 0,
        "factorsUnenrolled": 0,
        "keysRevoked": 0
      },
      "anomalies": {
        "rateLimited": 2,
        "concurrencyLimited": 0,
        "retries": 2,
        "inDoubtLookups": 1,
        "confirmedByLookup": [
          "000000000002"
        ],
        "retried": [
          {
            "serial": "000000000002",
            "attempts": 2
          },
          {
            "serial": "000000000005",
            "attempts": 2
          }
        ],
        "inDoubt": [
          "000000000006"
        ],
        "unreadableLines": [],
        "unfinishedRuns": []
      },
      "reconciliation": {
        "generatedAt": "2026-11-20T11:00:00.000Z",
        "org": "https://acme.okta.com",
        "files": [
          {
            "path": "seeds.csv",
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "valid": 7,
            "invalid": 1
          }
        ],
        "scope": "file",
        "staleAfterDays": 90,
        "oktaTokens": 4,
        "counts": {
          "active": 1,
          "blocked": 1,
          "invalid": 1,
          "missing": 2,
          "other": 0,
          "removed": 0,
          "retired": 0,
          "retired_live": 0,
          "revoked": 1,
          "stale": 0,
          "unassigned": 1,
          "unexpected": 0
        },
        "failOn": [
          "missing",
          "blocked",
          "invalid"
        ],
        "needsAction": [
          {
            "serial": "000000000004",
            "category": "missing",
            "status": null,
            "tokenId": null,
            "userId": null,
            "login": null,
            "lastVerified": null,
            "file": "seeds.csv",
            "line": 4
          },
          {
            "serial": "000000000005",
            "category": "missing",
            "status": null,
            "tokenId": null,
            "userId": null,
            "login": null,
            "lastVerified": null,
            "file": "seeds.csv",
            "line": 5
          },
          {
            "serial": "000000000003",
            "category": "blocked",
            "status": "BLOCKED",
            "tokenId": "ykk3",
            "userId": "00u3",
            "login": "carol@acme.example",
            "lastVerified": null,
            "file": "seeds.csv",
            "line": 3
          },
          {
            "serial": "000000000008",
            "category": "revoked",
            "status": "REVOKED",
            "tokenId": "ykk8",
            "userId": null,
            "login": null,
            "lastVerified": null,
            "file": "seeds.csv",
            "line": 8
          }
        ],
        "invalid": [
          {
            "file": "seeds.csv",
            "line": 7,
            "serial": null,
            "field": "AES key",
            "reason": "must be 32 hex digits"
          }
        ]
      },
      "rows": [
        {
          "serial": "000000000001",
          "line": 1,
          "runId": "0123456789abcdef",
          "outcome": "uploaded",
          "attempts": 1,
          "at": "2026-11-20T10:00:01.400Z",
          "tokenId": "ykk1",
          "status": "UNASSIGNED",
          "category": "unassigned",
          "user": null,
          "requestId": "req-1",
          "httpStatus": null,
          "errorCode": null,
          "error": null,
          "causes": [],
          "confirmedByLookup": false
        },
        {
          "serial": "000000000002",
          "line": 2,
          "runId": "0123456789abcdef",
          "outcome": "uploaded",
          "attempts": 2,
          "at": "2026-11-20T10:00:04.000Z",
          "tokenId": "ykk2",
          "status": "ACTIVE",
          "category": "active",
          "user": "bob@acme.example",
          "requestId": null,
          "httpStatus": null,
          "errorCode": null,
          "error": null,
          "causes": [],
          "confirmedByLookup": true
        },
        {
          "serial": "000000000003",
          "line": 3,
          "runId": "0123456789abcdef",
          "outcome": "already_present",
          "attempts": null,
          "at": "2026-11-20T10:00:04.000Z",
          "tokenId": "ykk3",
          "status": "BLOCKED",
          "category": "blocked",
          "user": "carol@acme.example",
          "requestId": null,
          "httpStatus": null,
          "errorCode": null,
          "error": null,
          "causes": [],
          "confirmedByLookup": false
        },
        {
          "serial": "000000000004",
          "line": 4,
          "runId": "0123456789abcdef",
          "outcome": "rejected",
          "attempts": 1,
          "at": "2026-11-20T10:00:05.000Z",
          "tokenId": null,
          "status": null,
          "category": "missing",
          "user": null,
          "requestId": "req-4",
          "httpStatus": 400,
          "errorCode": "E0000001",
          "error": "Api validation failed: factorProfile",
          "causes": [
            "=cmd|' /C calc'!A0",
            "serial number is invalid"
          ],
          "confirmedByLookup": false
        },
        {
          "serial": "000000000005",
          "line": 5,
          "runId": "0123456789abcdef",
          "outcome": "failed",
          "attempts": 2,
          "at": "2026-11-20T10:00:07.000Z",
          "tokenId": null,
          "status": null,
          "category": "missing",
          "user": null,
          "requestId": "req-5",
          "httpStatus": null,
          "errorCode": null,
          "error": "HTTP 503 <Service Unavailable>",
          "causes": [],
          "confirmedByLookup": false
        },
        {
          "serial": "000000000006",
          "line": 6,
          "runId": "0123456789abcdef",
          "outcome": "in_doubt",
          "attempts": 1,
          "at": null,
          "tokenId": null,
          "status": null,
          "category": null,
          "user": null,
          "requestId": null,
          "httpStatus": null,
          "errorCode": null,
          "error": null,
          "causes": [],
          "confirmedByLookup": false
        },
        {
          "serial": "000000000008",
          "line": 8,
          "runId": null,
          "outcome": null,
          "attempts": null,
          "at": null,
          "tokenId": "ykk8",
          "status": "REVOKED",
          "category": "revoked",
          "user": null,
          "requestId": null,
          "httpStatus": null,
          "errorCode": null,
          "error": null,
          "causes": [],
          "confirmedByLookup": false
        },
        {
          "serial": null,
          "line": 7,
          "runId": "0123456789abcdef",
          "outcome": "invalid",
          "attempts": null,
          "at": "2026-11-20T10:00:00.100Z",
          "tokenId": null,
          "status": null,
          "category": null,
          "user": null,
          "requestId": null,
          "httpStatus": null,
          "errorCode": null,
          "error": "AES key: must be 32 hex digits",
          "causes": [],
          "confirmedByLookup": false
        }
      ]
    }
    "#);
}
