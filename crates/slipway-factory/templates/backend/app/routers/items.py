"""CRUD routes of /items."""

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..database import get_db
from ..models import Item
from ..schemas import ItemCreate, ItemRead, ItemUpdate
{%- if enable_auth %}
from ..auth import require_api_key

router = APIRouter(prefix="/items", tags=["items"], dependencies=[Depends(require_api_key)])
{%- else %}

router = APIRouter(prefix="/items", tags=["items"])
{%- endif %}


def _get_or_404(db: Session, item_id: int) -> Item:
    item = db.get(Item, item_id)
    if item is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")
    return item


@router.post("", response_model=ItemRead, status_code=status.HTTP_201_CREATED)
def create_item(body: ItemCreate, db: Session = Depends(get_db)) -> Item:
    item = Item(**body.model_dump())
    db.add(item)
    db.commit()
    db.refresh(item)
    return item


@router.get("", response_model=list[ItemRead])
def list_items(
    skip: int = Query(default=0, ge=0),
    limit: int = Query(default=20, ge=1, le=100),
    db: Session = Depends(get_db),
) -> list[Item]:
    return list(db.scalars(select(Item).order_by(Item.id).offset(skip).limit(limit)))


@router.get("/{item_id}", response_model=ItemRead)
def get_item(item_id: int, db: Session = Depends(get_db)) -> Item:
    return _get_or_404(db, item_id)


@router.put("/{item_id}", response_model=ItemRead)
def update_item(item_id: int, body: ItemUpdate, db: Session = Depends(get_db)) -> Item:
    item = _get_or_404(db, item_id)
    for key, value in body.model_dump(exclude_unset=True).items():
        setattr(item, key, value)
    db.commit()
    db.refresh(item)
    return item


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(item_id: int, db: Session = Depends(get_db)) -> Response:
    db.delete(_get_or_404(db, item_id))
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
