DROP INDEX "ledger_one_move_charge";--> statement-breakpoint
ALTER TABLE "contents" ADD COLUMN "origin_issuer" text;--> statement-breakpoint
ALTER TABLE "moves" ADD COLUMN "request" jsonb;--> statement-breakpoint
ALTER TABLE "moves" ADD COLUMN "refusal_code" text;--> statement-breakpoint
ALTER TABLE "moves" ADD COLUMN "refusal_detail" text;--> statement-breakpoint
ALTER TABLE "moves" ADD COLUMN "charged_amount" integer;--> statement-breakpoint
ALTER TABLE "moves" ADD COLUMN "charged_currency" text;--> statement-breakpoint
ALTER TABLE "peers" ADD COLUMN "operator" text;--> statement-breakpoint
ALTER TABLE "peers" ADD COLUMN "config_expires_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "moves_pending" ON "moves" USING btree ("next_attempt_at") WHERE state = 'reserved';--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_one_move_charge" ON "ledger_entries" USING btree ("authority_id","move_id","kind") WHERE kind in ('move', 'federation_fee', 'peer_fee');