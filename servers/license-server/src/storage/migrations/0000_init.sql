CREATE TABLE "account_links" (
	"authority_id" text NOT NULL,
	"id" text NOT NULL,
	"user_id" text NOT NULL,
	"peer_issuer" text NOT NULL,
	"peer_user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "account_links_authority_id_id_pk" PRIMARY KEY("authority_id","id")
);
--> statement-breakpoint
CREATE TABLE "admin_roles" (
	"authority_id" text NOT NULL,
	"admin_id" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "admin_roles_authority_id_admin_id_pk" PRIMARY KEY("authority_id","admin_id")
);
--> statement-breakpoint
CREATE TABLE "admin_sessions" (
	"sid" text PRIMARY KEY NOT NULL,
	"data" jsonb NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "admin_users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text,
	"password_hash" text NOT NULL,
	"is_operator" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" text PRIMARY KEY NOT NULL,
	"authority_id" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text,
	"action" text NOT NULL,
	"target" text,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "authorities" (
	"id" text PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"operator" text,
	"device_limit" integer DEFAULT 12 NOT NULL,
	"currency" text DEFAULT 'EUR' NOT NULL,
	"next_leaf_id" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "authorities_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "authority_keys" (
	"authority_id" text NOT NULL,
	"kid" text NOT NULL,
	"use" text NOT NULL,
	"status" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"private_jwk_sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone,
	"retired_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "authority_keys_authority_id_kid_pk" PRIMARY KEY("authority_id","kid")
);
--> statement-breakpoint
CREATE TABLE "clients" (
	"authority_id" text NOT NULL,
	"id" text NOT NULL,
	"user_id" text NOT NULL,
	"leaf_id" integer NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"thumbprint" text NOT NULL,
	"certificate" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"label" text,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "clients_authority_id_id_pk" PRIMARY KEY("authority_id","id")
);
--> statement-breakpoint
CREATE TABLE "contents" (
	"authority_id" text NOT NULL,
	"id" text NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"media_type" text NOT NULL,
	"size" bigint NOT NULL,
	"package_size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"package_sha256" text NOT NULL,
	"storage_key" text NOT NULL,
	"content_key_sealed" text NOT NULL,
	"status" text DEFAULT 'available' NOT NULL,
	"license_price" integer,
	"move_price" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contents_authority_id_id_pk" PRIMARY KEY("authority_id","id")
);
--> statement-breakpoint
CREATE TABLE "device_proof_nonces" (
	"authority_id" text NOT NULL,
	"jti" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "device_proof_nonces_authority_id_jti_pk" PRIMARY KEY("authority_id","jti")
);
--> statement-breakpoint
CREATE TABLE "downloads" (
	"authority_id" text NOT NULL,
	"id" text NOT NULL,
	"user_id" text NOT NULL,
	"client_id" text NOT NULL,
	"content_id" text NOT NULL,
	"range_start" bigint NOT NULL,
	"range_end" bigint NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "downloads_authority_id_id_pk" PRIMARY KEY("authority_id","id")
);
--> statement-breakpoint
CREATE TABLE "federation_nonces" (
	"authority_id" text NOT NULL,
	"issuer" text NOT NULL,
	"jti" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "federation_nonces_authority_id_issuer_jti_pk" PRIMARY KEY("authority_id","issuer","jti")
);
--> statement-breakpoint
CREATE TABLE "invoices" (
	"authority_id" text NOT NULL,
	"id" text NOT NULL,
	"number" text NOT NULL,
	"user_id" text NOT NULL,
	"period" text NOT NULL,
	"total" integer NOT NULL,
	"currency" text NOT NULL,
	"lines" integer NOT NULL,
	"status" text DEFAULT 'issued' NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invoices_authority_id_id_pk" PRIMARY KEY("authority_id","id")
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"authority_id" text NOT NULL,
	"id" text NOT NULL,
	"kind" text NOT NULL,
	"user_id" text,
	"counterparty" text,
	"content_id" text NOT NULL,
	"license_id" text,
	"move_id" text,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"invoice_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_entries_authority_id_id_pk" PRIMARY KEY("authority_id","id")
);
--> statement-breakpoint
CREATE TABLE "licenses" (
	"authority_id" text NOT NULL,
	"id" text NOT NULL,
	"content_id" text NOT NULL,
	"client_id" text NOT NULL,
	"user_id" text NOT NULL,
	"rights" jsonb NOT NULL,
	"state" text NOT NULL,
	"origin_type" text NOT NULL,
	"origin_move_id" text,
	"token" text NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "licenses_authority_id_id_pk" PRIMARY KEY("authority_id","id")
);
--> statement-breakpoint
CREATE TABLE "move_events" (
	"authority_id" text NOT NULL,
	"move_id" text NOT NULL,
	"seq" integer NOT NULL,
	"state" text NOT NULL,
	"note" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "move_events_authority_id_move_id_seq_pk" PRIMARY KEY("authority_id","move_id","seq")
);
--> statement-breakpoint
CREATE TABLE "moves" (
	"authority_id" text NOT NULL,
	"id" text NOT NULL,
	"role" text NOT NULL,
	"state" text NOT NULL,
	"content_id" text NOT NULL,
	"user_id" text NOT NULL,
	"src_issuer" text NOT NULL,
	"src_client_id" text NOT NULL,
	"src_license_id" text NOT NULL,
	"dst_issuer" text NOT NULL,
	"dst_client_id" text NOT NULL,
	"dst_license_id" text,
	"certificate" text,
	"signed_by" text,
	"request_digest" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "moves_authority_id_id_pk" PRIMARY KEY("authority_id","id")
);
--> statement-breakpoint
CREATE TABLE "peers" (
	"authority_id" text NOT NULL,
	"id" text NOT NULL,
	"issuer" text NOT NULL,
	"name" text,
	"pinned_thumbprint" text NOT NULL,
	"jwks" jsonb,
	"status" text DEFAULT 'active' NOT NULL,
	"last_contact_at" timestamp with time zone,
	"last_outcome" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "peers_authority_id_id_pk" PRIMARY KEY("authority_id","id")
);
--> statement-breakpoint
CREATE TABLE "prices" (
	"authority_id" text NOT NULL,
	"kind" text NOT NULL,
	"amount" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "prices_authority_id_kind_pk" PRIMARY KEY("authority_id","kind")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"authority_id" text NOT NULL,
	"id" text NOT NULL,
	"username" text NOT NULL,
	"display_name" text,
	"password_hash" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_authority_id_id_pk" PRIMARY KEY("authority_id","id")
);
--> statement-breakpoint
ALTER TABLE "account_links" ADD CONSTRAINT "account_links_authority_id_user_id_users_authority_id_id_fk" FOREIGN KEY ("authority_id","user_id") REFERENCES "public"."users"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "admin_roles" ADD CONSTRAINT "admin_roles_authority_id_authorities_id_fk" FOREIGN KEY ("authority_id") REFERENCES "public"."authorities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "admin_roles" ADD CONSTRAINT "admin_roles_admin_id_admin_users_id_fk" FOREIGN KEY ("admin_id") REFERENCES "public"."admin_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "authority_keys" ADD CONSTRAINT "authority_keys_authority_id_authorities_id_fk" FOREIGN KEY ("authority_id") REFERENCES "public"."authorities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clients" ADD CONSTRAINT "clients_authority_id_user_id_users_authority_id_id_fk" FOREIGN KEY ("authority_id","user_id") REFERENCES "public"."users"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contents" ADD CONSTRAINT "contents_authority_id_authorities_id_fk" FOREIGN KEY ("authority_id") REFERENCES "public"."authorities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downloads" ADD CONSTRAINT "downloads_authority_id_user_id_users_authority_id_id_fk" FOREIGN KEY ("authority_id","user_id") REFERENCES "public"."users"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downloads" ADD CONSTRAINT "downloads_authority_id_client_id_clients_authority_id_id_fk" FOREIGN KEY ("authority_id","client_id") REFERENCES "public"."clients"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downloads" ADD CONSTRAINT "downloads_authority_id_content_id_contents_authority_id_id_fk" FOREIGN KEY ("authority_id","content_id") REFERENCES "public"."contents"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_authority_id_user_id_users_authority_id_id_fk" FOREIGN KEY ("authority_id","user_id") REFERENCES "public"."users"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_authority_id_user_id_users_authority_id_id_fk" FOREIGN KEY ("authority_id","user_id") REFERENCES "public"."users"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_authority_id_license_id_licenses_authority_id_id_fk" FOREIGN KEY ("authority_id","license_id") REFERENCES "public"."licenses"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_authority_id_invoice_id_invoices_authority_id_id_fk" FOREIGN KEY ("authority_id","invoice_id") REFERENCES "public"."invoices"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_authority_id_content_id_contents_authority_id_id_fk" FOREIGN KEY ("authority_id","content_id") REFERENCES "public"."contents"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_authority_id_client_id_clients_authority_id_id_fk" FOREIGN KEY ("authority_id","client_id") REFERENCES "public"."clients"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_authority_id_user_id_users_authority_id_id_fk" FOREIGN KEY ("authority_id","user_id") REFERENCES "public"."users"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "move_events" ADD CONSTRAINT "move_events_authority_id_move_id_moves_authority_id_id_fk" FOREIGN KEY ("authority_id","move_id") REFERENCES "public"."moves"("authority_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "peers" ADD CONSTRAINT "peers_authority_id_authorities_id_fk" FOREIGN KEY ("authority_id") REFERENCES "public"."authorities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prices" ADD CONSTRAINT "prices_authority_id_authorities_id_fk" FOREIGN KEY ("authority_id") REFERENCES "public"."authorities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_authority_id_authorities_id_fk" FOREIGN KEY ("authority_id") REFERENCES "public"."authorities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "account_links_peer_user" ON "account_links" USING btree ("authority_id","peer_issuer","peer_user_id");--> statement-breakpoint
CREATE INDEX "admin_sessions_expiry" ON "admin_sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "admin_users_email" ON "admin_users" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "audit_log_authority" ON "audit_log" USING btree ("authority_id","at");--> statement-breakpoint
CREATE INDEX "authority_keys_status" ON "authority_keys" USING btree ("authority_id","use","status");--> statement-breakpoint
CREATE UNIQUE INDEX "clients_leaf" ON "clients" USING btree ("authority_id","leaf_id");--> statement-breakpoint
CREATE UNIQUE INDEX "clients_thumbprint" ON "clients" USING btree ("authority_id","thumbprint");--> statement-breakpoint
CREATE INDEX "clients_user" ON "clients" USING btree ("authority_id","user_id");--> statement-breakpoint
CREATE INDEX "device_proof_nonces_expiry" ON "device_proof_nonces" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "downloads_content" ON "downloads" USING btree ("authority_id","content_id");--> statement-breakpoint
CREATE INDEX "downloads_user" ON "downloads" USING btree ("authority_id","user_id");--> statement-breakpoint
CREATE INDEX "federation_nonces_expiry" ON "federation_nonces" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_number" ON "invoices" USING btree ("authority_id","number");--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_user_period" ON "invoices" USING btree ("authority_id","user_id","period");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_one_license_charge" ON "ledger_entries" USING btree ("authority_id","license_id") WHERE kind = 'license';--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_one_move_charge" ON "ledger_entries" USING btree ("authority_id","move_id","kind") WHERE kind in ('move', 'federation_fee');--> statement-breakpoint
CREATE INDEX "ledger_created" ON "ledger_entries" USING btree ("authority_id","created_at");--> statement-breakpoint
CREATE INDEX "ledger_user" ON "ledger_entries" USING btree ("authority_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "licenses_one_live_per_device_content" ON "licenses" USING btree ("authority_id","client_id","content_id") WHERE state in ('active', 'moving');--> statement-breakpoint
CREATE INDEX "licenses_user" ON "licenses" USING btree ("authority_id","user_id");--> statement-breakpoint
CREATE INDEX "licenses_content" ON "licenses" USING btree ("authority_id","content_id");--> statement-breakpoint
CREATE INDEX "moves_state" ON "moves" USING btree ("authority_id","state");--> statement-breakpoint
CREATE INDEX "moves_user" ON "moves" USING btree ("authority_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "peers_issuer" ON "peers" USING btree ("authority_id","issuer");--> statement-breakpoint
CREATE UNIQUE INDEX "users_username" ON "users" USING btree ("authority_id",lower("username"));