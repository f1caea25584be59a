/** Timestamps are ISO 8601 UTC strings in both SQLite and PostgreSQL, so they sort as text. */
export interface ApiKeysTable {
  id: string;
  name: string;
  key_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ExtractionsTable {
  uuid: string;
  api_key_id: string | null;
  file_name: string;
  result_json: string;
  created_at: string;
}

export interface CleanedFilesTable {
  uuid: string;
  api_key_id: string | null;
  file_name: string;
  mime_type: string;
  size: number;
  storage_key: string;
  created_at: string;
  expires_at: string;
}

export interface Database {
  api_keys: ApiKeysTable;
  extractions: ExtractionsTable;
  cleaned_files: CleanedFilesTable;
}
