"""offer checks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 20:57:06.719319
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.models


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('offer_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('risk', sa.String(length=8), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.JSON(), nullable=False),
    sa.Column('confirmed_scam', sa.Boolean(), nullable=False),
    sa.Column('confirmed_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_offer_checks_conversation_id_conversations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_checks'))
    )
    with op.batch_alter_table('offer_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_checks_confirmed_scam'), ['confirmed_scam'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_checks_conversation_id'), ['conversation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('offer_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_checks_conversation_id'))
        batch_op.drop_index(batch_op.f('ix_offer_checks_confirmed_scam'))

    op.drop_table('offer_checks')
