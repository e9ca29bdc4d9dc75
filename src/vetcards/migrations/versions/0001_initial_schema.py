"""initial schema"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None


# Written out here (not imported) so this migration never changes.
SEED_SPECIES = (
    "dog", "cat", "rabbit", "guinea pig", "hamster", "rat", "mouse", "gerbil",
    "chinchilla", "ferret", "bird", "parrot", "chicken", "reptile", "tortoise",
    "snake", "lizard", "fish", "horse", "pony", "donkey", "goat", "sheep", "pig",
    "cow", "other",
)


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ts', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('entity', sa.String(length=30), nullable=False),
    sa.Column('entity_ids', sa.String(length=4000), nullable=False),
    sa.Column('details', sa.String(length=100000), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)

    op.create_table('client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('postcode', sa.String(length=7), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('legal_hold_reason', sa.String(length=500), nullable=True),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client'))
    )
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_number'), ['number'], unique=True)
        batch_op.create_index(batch_op.f('ix_client_restricted'), ['restricted'], unique=False)

    op.create_table('counter',
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counter'))
    )
    op.create_table('erasure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_number', sa.String(length=20), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verified_by', sa.String(length=100), nullable=False),
    sa.Column('id_document', sa.String(length=30), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure'))
    )
    with op.batch_alter_table('erasure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_client_number'), ['client_number'], unique=False)

    op.create_table('practice_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_practice_setting'))
    )
    op.create_table('recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('agreement_date', sa.Date(), nullable=True),
    sa.Column('categories', sa.String(length=500), nullable=False),
    sa.Column('needs_consent', sa.String(length=30), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recipient')),
    sa.UniqueConstraint('name', name=op.f('uq_recipient_name'))
    )
    op.create_table('species',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_species'))
    )
    op.create_table('subject_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_number', sa.String(length=20), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('extended_reason', sa.String(length=500), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_request'))
    )
    with op.batch_alter_table('subject_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_request_client_number'), ['client_number'], unique=False)

    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('statement_version', sa.String(length=50), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_consent_client_id_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_purpose'), ['purpose'], unique=False)

    op.create_table('pet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('species', sa.String(length=50), nullable=False),
    sa.Column('breed', sa.String(length=100), nullable=True),
    sa.Column('sex', sa.String(length=20), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('chip', sa.String(length=15), nullable=True),
    sa.Column('colour', sa.String(length=100), nullable=True),
    sa.Column('coat', sa.String(length=100), nullable=True),
    sa.Column('insured', sa.Boolean(), nullable=True),
    sa.Column('deceased_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_pet_client_id_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pet')),
    sa.UniqueConstraint('chip', name=op.f('uq_pet_chip'))
    )
    with op.batch_alter_table('pet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pet_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pet_number'), ['number'], unique=True)

    op.create_table('disclosure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('pet_id', sa.Integer(), nullable=True),
    sa.Column('disclosed_on', sa.Date(), nullable=False),
    sa.Column('categories', sa.String(length=500), nullable=False),
    sa.Column('basis', sa.String(length=30), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('at_client_request', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_disclosure_client_id_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consent_id'], ['consent.id'], name=op.f('fk_disclosure_consent_id_consent'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pet_id'], ['pet.id'], name=op.f('fk_disclosure_pet_id_pet'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipient.id'], name=op.f('fk_disclosure_recipient_id_recipient'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure'))
    )
    with op.batch_alter_table('disclosure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_consent_id'), ['consent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_pet_id'), ['pet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_recipient_id'), ['recipient_id'], unique=False)

    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('credits_invoice_id', sa.Integer(), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('pet_id', sa.Integer(), nullable=True),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('payment_method', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('customer_name', sa.String(length=200), nullable=False),
    sa.Column('customer_street', sa.String(length=200), nullable=False),
    sa.Column('customer_postcode', sa.String(length=7), nullable=False),
    sa.Column('customer_city', sa.String(length=100), nullable=False),
    sa.Column('customer_birth_date', sa.Date(), nullable=True),
    sa.Column('supplier_name', sa.String(length=200), nullable=False),
    sa.Column('supplier_address', sa.String(length=400), nullable=False),
    sa.Column('supplier_vat_number', sa.String(length=20), nullable=False),
    sa.Column('supplier_kvk', sa.String(length=20), nullable=False),
    sa.Column('supplier_iban', sa.String(length=40), nullable=False),
    sa.Column('net_cents', sa.Integer(), nullable=False),
    sa.Column('vat_cents', sa.Integer(), nullable=False),
    sa.Column('gross_cents', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_invoice_client_id_client'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['credits_invoice_id'], ['invoice.id'], name=op.f('fk_invoice_credits_invoice_id_invoice'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pet_id'], ['pet.id'], name=op.f('fk_invoice_pet_id_pet'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice')),
    sa.UniqueConstraint('year', 'seq', name='uq_invoice_year_seq')
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_credits_invoice_id'), ['credits_invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_invoice_date'), ['invoice_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_number'), ['number'], unique=True)
        batch_op.create_index(batch_op.f('ix_invoice_pet_id'), ['pet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_restricted'), ['restricted'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_status'), ['status'], unique=False)

    op.create_table('medicine_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pet_id', sa.Integer(), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('record_date', sa.Date(), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('batch', sa.String(length=50), nullable=True),
    sa.Column('quantity', sa.String(length=30), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=True),
    sa.Column('vet', sa.String(length=100), nullable=True),
    sa.Column('dispensed', sa.Boolean(), nullable=False),
    sa.Column('owner_name', sa.String(length=200), nullable=True),
    sa.Column('owner_address', sa.String(length=400), nullable=True),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_medicine_record_client_id_client'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pet_id'], ['pet.id'], name=op.f('fk_medicine_record_pet_id_pet'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medicine_record'))
    )
    with op.batch_alter_table('medicine_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medicine_record_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_medicine_record_pet_id'), ['pet_id'], unique=False)

    op.create_table('vaccination',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pet_id', sa.Integer(), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('vaccine', sa.String(length=100), nullable=False),
    sa.Column('batch', sa.String(length=50), nullable=True),
    sa.Column('next_due', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pet_id'], ['pet.id'], name=op.f('fk_vaccination_pet_id_pet'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination'))
    )
    with op.batch_alter_table('vaccination', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vaccination_next_due'), ['next_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_vaccination_pet_id'), ['pet_id'], unique=False)

    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pet_id', sa.Integer(), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('findings', sa.String(length=4000), nullable=True),
    sa.Column('diagnosis', sa.String(length=1000), nullable=True),
    sa.Column('treatment', sa.String(length=2000), nullable=True),
    sa.Column('vet', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pet_id'], ['pet.id'], name=op.f('fk_visit_pet_id_pet'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_pet_id'), ['pet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_visit_date'), ['visit_date'], unique=False)

    op.create_table('weight',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pet_id', sa.Integer(), nullable=False),
    sa.Column('measured_on', sa.Date(), nullable=False),
    sa.Column('grams', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pet_id'], ['pet.id'], name=op.f('fk_weight_pet_id_pet'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weight'))
    )
    with op.batch_alter_table('weight', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weight_pet_id'), ['pet_id'], unique=False)

    op.create_table('invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.String(length=20), nullable=False),
    sa.Column('unit_price_cents', sa.Integer(), nullable=False),
    sa.Column('vat_rate', sa.Integer(), nullable=False),
    sa.Column('net_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_line_invoice_id_invoice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_line'))
    )
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_line_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_payment_invoice_id_invoice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_invoice_id'), ['invoice_id'], unique=False)



    # Seed the known species (extensible later with `vetcards species add`).
    species = sa.table("species", sa.column("name", sa.String))
    op.bulk_insert(species, [{"name": n} for n in SEED_SPECIES])
    counter = sa.table("counter", sa.column("name", sa.String), sa.column("value", sa.Integer))
    op.bulk_insert(counter, [{"name": "client", "value": 0}, {"name": "pet", "value": 0}])


def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_invoice_id'))

    op.drop_table('payment')
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_line_invoice_id'))

    op.drop_table('invoice_line')
    with op.batch_alter_table('weight', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weight_pet_id'))

    op.drop_table('weight')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_visit_date'))
        batch_op.drop_index(batch_op.f('ix_visit_pet_id'))

    op.drop_table('visit')
    with op.batch_alter_table('vaccination', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vaccination_pet_id'))
        batch_op.drop_index(batch_op.f('ix_vaccination_next_due'))

    op.drop_table('vaccination')
    with op.batch_alter_table('medicine_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medicine_record_pet_id'))
        batch_op.drop_index(batch_op.f('ix_medicine_record_client_id'))

    op.drop_table('medicine_record')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_status'))
        batch_op.drop_index(batch_op.f('ix_invoice_restricted'))
        batch_op.drop_index(batch_op.f('ix_invoice_pet_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_number'))
        batch_op.drop_index(batch_op.f('ix_invoice_invoice_date'))
        batch_op.drop_index(batch_op.f('ix_invoice_credits_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_client_id'))

    op.drop_table('invoice')
    with op.batch_alter_table('disclosure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_disclosure_pet_id'))
        batch_op.drop_index(batch_op.f('ix_disclosure_consent_id'))
        batch_op.drop_index(batch_op.f('ix_disclosure_client_id'))

    op.drop_table('disclosure')
    with op.batch_alter_table('pet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pet_number'))
        batch_op.drop_index(batch_op.f('ix_pet_client_id'))

    op.drop_table('pet')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_purpose'))
        batch_op.drop_index(batch_op.f('ix_consent_client_id'))

    op.drop_table('consent')
    with op.batch_alter_table('subject_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_request_client_number'))

    op.drop_table('subject_request')
    op.drop_table('species')
    op.drop_table('recipient')
    op.drop_table('practice_setting')
    with op.batch_alter_table('erasure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_client_number'))

    op.drop_table('erasure')
    op.drop_table('counter')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_restricted'))
        batch_op.drop_index(batch_op.f('ix_client_number'))

    op.drop_table('client')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
