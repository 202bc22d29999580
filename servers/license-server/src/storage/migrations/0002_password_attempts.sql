CREATE TABLE "password_attempts" (
	"realm" text NOT NULL,
	"account" text NOT NULL,
	"address" text NOT NULL,
	"failures" integer NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"last_attempt_at" timestamp with time zone NOT NULL,
	CONSTRAINT "password_attempts_realm_account_address_pk" PRIMARY KEY("realm","account","address")
);
--> statement-breakpoint
CREATE INDEX "password_attempts_window" ON "password_attempts" USING btree ("window_start");